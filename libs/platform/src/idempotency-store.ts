import { createHash } from 'node:crypto';
import { SqlClient, SqlExecutor } from '@accrual/database';

/**
 * Stored responses for `Idempotency-Key` (CONTRACT §2). A key is claimed before the command runs,
 * so two concurrent requests with one key never both run; the response is stored after.
 */
export async function migrateApiTables(sql: SqlClient): Promise<void> {
  await sql.exec(`
    create schema if not exists api;
    create table if not exists api.idempotency_keys (
      key text primary key,
      request_hash text not null,
      state text not null,
      status integer,
      body jsonb,
      log_position text,
      created_at timestamptz not null default now()
    );
  `);
}

export interface StoredResponse {
  status: number;
  body: unknown;
  logPosition: string | null;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'reused' }
  | { kind: 'in_progress' };

/** Keys are opaque strings from the client; we bound their length. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(canonicalJson(body)).digest('hex');
}

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export async function claimKey(sql: SqlExecutor, key: string, hash: string): Promise<Claim> {
  const inserted = await sql.query(
    `insert into api.idempotency_keys (key, request_hash, state) values ($1, $2, 'pending')
     on conflict (key) do nothing returning key`,
    [key, hash],
  );
  if (inserted.rowCount > 0) return { kind: 'claimed' };
  const existing = await sql.query<{ request_hash: string; state: string; status: number; body: unknown; log_position: string | null }>(
    `select request_hash, state, status, body, log_position from api.idempotency_keys where key = $1`,
    [key],
  );
  const row = existing.rows[0];
  if (!row) return claimKey(sql, key, hash);
  if (row.request_hash !== hash) return { kind: 'reused' };
  if (row.state !== 'done') return { kind: 'in_progress' };
  return { kind: 'replay', response: { status: row.status, body: row.body, logPosition: row.log_position } };
}

export async function completeKey(sql: SqlExecutor, key: string, response: StoredResponse): Promise<void> {
  await sql.query(
    `update api.idempotency_keys set state = 'done', status = $2, body = $3, log_position = $4 where key = $1`,
    [key, response.status, JSON.stringify(response.body), response.logPosition],
  );
}

/** A server error stores nothing: the client may retry with the same key. */
export async function releaseKey(sql: SqlExecutor, key: string): Promise<void> {
  await sql.query(`delete from api.idempotency_keys where key = $1 and state = 'pending'`, [key]);
}
