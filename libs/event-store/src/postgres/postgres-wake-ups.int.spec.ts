import { randomUUID } from 'node:crypto';
import { PgliteSqlClient, PgSqlClient, SqlClient } from '@accrual/database';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { NewEvent, RecordedEvent } from '../event-store.port';
import { describeWithPglite } from '../testing/pglite-availability';
import { describeWithPostgres } from '../testing/postgres-availability';
import { PostgresEventStore } from './postgres-event-store';

/**
 * The doorbells behind Postgres subscriptions, which the contract cannot tell apart from polling.
 * Subscribers here poll only once a minute, so a delivery within seconds proves the doorbell:
 * LISTEN/NOTIFY between two processes' stores (two pools stand in for two processes), and the
 * in-process ring between stores sharing one PGlite client.
 */

const POLL_ONCE_A_MINUTE = { pollIntervalMs: 60_000 };

function event(): NewEvent {
  return { id: randomUUID(), type: 'DoorbellRang', data: {}, metadata: { actor: 'test', recordedAt: new Date().toISOString() } };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Subscribes on `reader` from its head, waits until it is idle, then returns what it receives. */
async function idleSubscriber(reader: PostgresEventStore, stream: string) {
  const received: RecordedEvent[] = [];
  const subscription = reader.subscribeToAll({ after: await reader.headPosition() }, async (batch) => {
    received.push(...batch.filter((recorded) => recorded.streamId === stream));
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // first (empty) read done; now waiting
  return { received, subscription };
}

describeWithPostgres('postgres event store doorbells: LISTEN/NOTIFY across processes', () => {
  let database: TestDatabase;
  let writerSql: PgSqlClient;
  let readerSql: PgSqlClient;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_event_store_notify');
    database = opened.database;
    writerSql = opened.sql;
    readerSql = new PgSqlClient({ connectionString: database.url, maxConnections: 2 });
    await PostgresEventStore.open(writerSql).then((store) => store.close());
  });
  afterAll(async () => {
    await readerSql?.close();
    await writerSql?.close();
    await database?.drop();
  });

  it.each(['after_commit', 'in_transaction'] as const)('wakes a subscriber elsewhere at once (notify %s)', async (notify) => {
    const writer = new PostgresEventStore(writerSql, { notify });
    const reader = new PostgresEventStore(readerSql, POLL_ONCE_A_MINUTE);
    const stream = `doorbell-${randomUUID()}`;
    const { received, subscription } = await idleSubscriber(reader, stream);
    try {
      await writer.append(stream, [event()], { expectedRevision: 'no_stream' });
      await until(() => received.length === 1, 'the notified delivery');
    } finally {
      await subscription.stop();
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('wakes a subscriber elsewhere when an append inside a caller transaction commits', async () => {
    const writer = new PostgresEventStore(writerSql);
    const reader = new PostgresEventStore(readerSql, POLL_ONCE_A_MINUTE);
    const stream = `doorbell-${randomUUID()}`;
    const { received, subscription } = await idleSubscriber(reader, stream);
    try {
      await writerSql.transaction((tx) => writer.appendWithin(tx, stream, [event()], { expectedRevision: 'no_stream' }));
      await until(() => received.length === 1, 'the notified delivery');
    } finally {
      await subscription.stop();
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});

describeWithPglite('postgres event store doorbells: in-process, on PGlite', () => {
  let sql: SqlClient;

  beforeAll(async () => {
    sql = await PgliteSqlClient.open();
  });
  afterAll(async () => {
    await sql?.close();
  });

  it('wakes the subscribers of every store on the same client', async () => {
    const writer = await PostgresEventStore.open(sql);
    const reader = new PostgresEventStore(sql, POLL_ONCE_A_MINUTE);
    const stream = `doorbell-${randomUUID()}`;
    const { received, subscription } = await idleSubscriber(reader, stream);
    try {
      await writer.append(stream, [event()], { expectedRevision: 'no_stream' });
      await writer.appendNew(stream, [event()]);
      await until(() => received.length === 2, 'both deliveries');
    } finally {
      await subscription.stop();
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
