import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createCustomer, streams } from '@accrual/billing';
import { PgSqlClient } from '@accrual/database';
import { createEventStore, EventStore } from '@accrual/event-store';
import { toNewEvents } from '@accrual/platform';
import { ALL_PROJECTIONS, applyEventBatch, migrateReadModels, Projector, readCheckpoint, readModelDigest, rebuildReadModels } from '@accrual/read-models';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithPostgres, REPO_ROOT } from '../../../test/support/suites';

// Enough batches that the test finds one in hand: a batch of customers is a few statements.
const CUSTOMERS = 20_000;
const BATCH_SIZE = 500;
const SCHEMA = 'crash_child';

/**
 * The projector in a child process, killed with SIGKILL while it works through a backlog (batches
 * of 500 events, each its own transaction): what it left must be exactly the events up to its
 * checkpoint, and a restart must end equal to a fresh rebuild.
 */
describeWithPostgres('projector killed in the middle of a batch', () => {
  let database: TestDatabase;
  let sql: PgSqlClient;
  let store: EventStore;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_crash');
    sql = opened.sql;
    database = opened.database;
    store = await createEventStore({ kind: 'postgres', sql });
    await appendCustomers(store, CUSTOMERS);
    await migrateReadModels(sql, SCHEMA);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await store?.close();
    await sql?.close();
    await database?.drop();
  });

  it('leaves nothing of the batch in hand, and a restart equals a fresh rebuild', async () => {
    const head = await store.headPosition();
    child = spawnProjector(database.url);
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    // Past two batches and with a batch's transaction open right now: kill it there.
    await until(async () => (await readCheckpoint(sql, SCHEMA)) >= BigInt(2 * BATCH_SIZE) && (await childInTransaction(sql)), 60_000);
    child.kill('SIGKILL');
    await exited;

    const checkpoint = await readCheckpoint(sql, SCHEMA);
    expect(checkpoint).toBeLessThan(head);
    await rebuildUpTo(checkpoint, 'crash_expected');
    expect(await readModelDigest(sql, SCHEMA)).toEqual(await readModelDigest(sql, 'crash_expected'));

    const restarted = new Projector(store, sql, { schema: SCHEMA, batchSize: BATCH_SIZE });
    await restarted.start();
    try {
      expect(await restarted.waitFor(head, 60_000)).toBe(true);
    } finally {
      await restarted.stop();
    }
    await rebuildReadModels({ store, sql, schema: 'crash_fresh' });
    expect(await readModelDigest(sql, SCHEMA)).toEqual(await readModelDigest(sql, 'crash_fresh'));
  });

  /** The read models of exactly the events up to `position`, by the projector's own code path. */
  async function rebuildUpTo(position: bigint, schema: string): Promise<void> {
    await sql.exec(`drop schema if exists ${schema} cascade`);
    await migrateReadModels(sql, schema);
    for (let after: bigint | undefined; (after ?? 0n) < position; ) {
      const events = (await store.readAll({ after, maxCount: BATCH_SIZE })).filter((recorded) => recorded.position <= position);
      if (events.length === 0) break;
      after = await applyEventBatch(sql, schema, ALL_PROJECTIONS, events);
    }
  }
});

/** True while the child projector has a transaction open writing the read models (a batch in hand). */
async function childInTransaction(sql: PgSqlClient): Promise<boolean> {
  const result = await sql.query<{ open: string }>(
    `select count(*)::text as open from pg_stat_activity
     where application_name = 'accrual-crash-child' and datname = current_database() and xact_start is not null
       and state in ('active', 'idle in transaction') and query like $1`,
    [`%${SCHEMA}.%`],
  );
  return result.rows[0].open !== '0';
}

function spawnProjector(databaseUrl: string): ChildProcess {
  const entry = join(__dirname, 'testing', 'projector-child.ts');
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', join(__dirname, 'testing', 'register-aliases.js'), entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'), CRASH_DATABASE_URL: databaseUrl, CRASH_SCHEMA: SCHEMA, CRASH_BATCH_SIZE: String(BATCH_SIZE) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** `count` new customers, 500 streams per append. */
async function appendCustomers(store: EventStore, count: number): Promise<void> {
  const context = { actor: 'test', role: 'admin', correlationId: randomUUID(), causationId: null, requestId: randomUUID(), receivedAtMs: Date.parse('2026-01-01T00:00:00Z') };
  for (let first = 0; first < count; first += 500) {
    const batches = Array.from({ length: Math.min(500, count - first) }, (_unused, offset) => {
      const id = `cus_${first + offset}`;
      const events = createCustomer({ id, personal: { clear: { name: id, email: `${id}@example.test`, address: null } }, currency: 'USD', country: 'US' }, { status: 'none' });
      return { streamId: streams.customer(id), events: toNewEvents(events, context) };
    });
    await store.appendNewMany(batches);
  }
}

/** Polls `condition` every 10 ms until true; throws after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
