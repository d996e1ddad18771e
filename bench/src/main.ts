import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PgSqlClient } from '@accrual/database';
import { AUDIT_VERIFY_GOALS, benchAuditVerify } from './audit-verify.bench';
import { benchBillingRun, BILLING_RUN_GOALS } from './billing-run.bench';
import { benchEventStore, EVENT_STORE_GOALS } from './event-store.bench';
import { benchBrokers, benchKafkaIngest, benchKafkaRelay, KAFKA_GOALS } from './kafka.bench';
import { Figures, recordFigures, writeTable } from './results';
import { benchRebuild, REBUILD_GOALS } from './rebuild.bench';
import { benchReports, REPORTS_GOALS } from './reports.bench';
import { benchProjectionLag, PROJECTION_LAG_GOALS } from './projection-lag.bench';
import { benchUsageHttp, USAGE_HTTP_GOALS } from './usage-http.bench';

/**
 * `npm run bench [-- --quick] [-- --only=event-store,usage-http,billing-run]`: measures on the
 * machine's Postgres (DATABASE_URL's server, else 127.0.0.1:5432), each benchmark in a scratch
 * database of its own that it creates and drops. Figures go to bench-results.json (git-ignored)
 * and to the "latest run" table of docs/benchmarks.md.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length).split(',');
  const selected = (bench: string) => !only || only.includes(bench);
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const figures: Figures = {};
  if (selected('event-store')) {
    const events = quick ? 200_000 : 1_000_000;
    log(`event store: ${events} events, COPY then appends (4 writers, batches of 100)`);
    await withScratchDatabase(adminUrl, async (url) => {
      const sql = new PgSqlClient({ connectionString: url, maxConnections: 16, applicationName: 'accrual-bench' });
      try {
        Object.assign(figures, await benchEventStore(sql, { events, writers: 4, batchSize: 100, appendNewManyEvents: events / 2 }));
      } finally {
        await sql.close();
      }
    });
    log(JSON.stringify(figures));
  }
  if (selected('audit-verify')) {
    const events = quick ? 200_000 : 1_000_000;
    log(`audit verify: a log of ${events} events over 1,000 streams, sealed, then verifyIntegrity`);
    await withScratchDatabase(adminUrl, async (url) => {
      const sql = new PgSqlClient({ connectionString: url, maxConnections: 8, applicationName: 'accrual-bench' });
      try {
        Object.assign(figures, await benchAuditVerify(sql, { events, streams: 1000 }));
      } finally {
        await sql.close();
      }
    });
    log(JSON.stringify(figures));
  }
  if (selected('usage-http')) {
    const events = quick ? 200_000 : 1_000_000;
    log(`usage over HTTP: ${events} events, batches of 1,000, 6 clients, 1,000 customers, projector off`);
    await withScratchDatabase(adminUrl, async (url) => {
      const options = { events, clients: 6, batchSize: 1000, customers: 1000 };
      Object.assign(figures, await benchUsageHttp(url, options, figures.copy_rows_per_s));
    });
    log(JSON.stringify(figures));
  }
  if (selected('billing-run')) {
    const subscriptions = quick ? 10_000 : 100_000;
    log(`billing run: ${subscriptions} subscriptions, projector paused during the run`);
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchBillingRun(url, { subscriptions, projectorDuringRun: false }));
    });
    log(JSON.stringify(figures));
  }
  if (selected('rebuild')) {
    const events = quick ? 200_000 : 1_000_000;
    log(`rebuild: every read model from a log of ${events} events (1,000 customers and subscriptions, usage)`);
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchRebuild(url, { events, customers: 1000 }));
    });
    log(JSON.stringify(figures));
  }
  if (selected('reports')) {
    // --quick: 100,000 invoices (issue 4 allows it); the full run has the 1,000,000 of the goal.
    const invoices = quick ? 100_000 : 1_000_000;
    log(`reports: AR aging and DSO over ${invoices} invoices of ${invoices / 200} customers, 5 years`);
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchReports(url, { invoices, customers: invoices / 200, queries: 500 }));
    });
    log(JSON.stringify(figures));
  }
  if (selected('kafka')) {
    const events = quick ? 200_000 : 1_000_000;
    const brokers = await benchBrokers();
    log(`kafka on ${brokers.join(',')}: the relay draining ${events} events, then ${events} usage messages from the ingest topic`);
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchKafkaRelay(url, brokers, { events, customers: 1000 }));
    });
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchKafkaIngest(url, brokers, { events, customers: 1000 }));
    });
    log(JSON.stringify(figures));
  }
  if (selected('projection-lag')) {
    log('projection lag: mixed commands at 200/s for 20 s through the API, projector in process');
    await withScratchDatabase(adminUrl, async (url) => {
      Object.assign(figures, await benchProjectionLag(url, { commandsPerSecond: 200, seconds: 20, customers: 16 }));
    });
    log(JSON.stringify(figures));
  }
  const merged = recordFigures(figures);
  writeTable(merged, [...EVENT_STORE_GOALS, ...AUDIT_VERIFY_GOALS, ...USAGE_HTTP_GOALS, ...BILLING_RUN_GOALS, ...REBUILD_GOALS, ...REPORTS_GOALS, ...PROJECTION_LAG_GOALS, ...KAFKA_GOALS], `Latest \`npm run bench${quick ? ' -- --quick' : ''}\` on this repository's machine (2 cores, Postgres 15):`);
  for (const [figure, value] of Object.entries(figures)) console.log(`${figure}\t${value}`);
}

/** A database of its own for one benchmark, dropped afterwards whatever happens. */
async function withScratchDatabase(adminUrl: string, work: (url: string) => Promise<void>): Promise<void> {
  const name = `accrual_bench_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    await work(url.toString());
  } finally {
    await admin(adminUrl, `drop database if exists ${name} with (force)`);
  }
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
