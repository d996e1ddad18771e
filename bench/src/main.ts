import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PgSqlClient } from '@accrual/database';
import { benchEventStore, EVENT_STORE_GOALS } from './event-store.bench';
import { Figures, recordFigures, writeTable } from './results';

/**
 * `npm run bench [-- --quick]`: measures on the machine's Postgres (DATABASE_URL's server, else
 * 127.0.0.1:5432), in a scratch database it creates and drops. Figures go to bench-results.json
 * (git-ignored) and to the "latest run" table of docs/benchmarks.md.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `accrual_bench_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = new PgSqlClient({ connectionString: url.toString(), maxConnections: 16, applicationName: 'accrual-bench' });
  const figures: Figures = {};
  try {
    const events = quick ? 200_000 : 1_000_000;
    log(`event store: ${events} events, COPY then appends (4 writers, batches of 100)`);
    Object.assign(figures, await benchEventStore(sql, { events, writers: 4, batchSize: 100 }));
    log(JSON.stringify(figures));
  } finally {
    await sql.close();
    await admin(adminUrl, `drop database if exists ${name} with (force)`);
  }
  const merged = recordFigures(figures);
  writeTable(merged, [...EVENT_STORE_GOALS], `Latest \`npm run bench${quick ? ' -- --quick' : ''}\` on this repository's machine (2 cores, Postgres 15):`);
  for (const [figure, value] of Object.entries(figures)) console.log(`${figure}\t${value}`);
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
