import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PgSqlClient } from '@accrual/database';

/**
 * Integration tests run against the real Postgres. Each test file gets a fresh database of its
 * own, so files run in parallel without seeing each other's rows.
 *
 * Where Postgres is: `DATABASE_URL` when set (CI sets it), else the machine's trust-auth server
 * at 127.0.0.1:5432. Missing Postgres fails the suite under `CI=true` and skips it otherwise.
 */
export const ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function isCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

export async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database (terminating any connection still open to it). */
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'accrual_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const dropper = new Client({ connectionString: ADMIN_DATABASE_URL });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A fresh database and a client on it, for one test file. */
export async function openTestPostgres(prefix?: string): Promise<{ sql: PgSqlClient; database: TestDatabase }> {
  const database = await createTestDatabase(prefix);
  const sql = new PgSqlClient({ connectionString: database.url, maxConnections: 20, applicationName: 'accrual-test' });
  return { sql, database };
}
