import { randomUUID } from 'node:crypto';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../test/support/suites';
import { NewEvent, StreamBatch } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';
import { STREAM_LOCKS_PER_APPEND_MAX, WIDE_APPEND_BUCKETS } from './schema';
import { PgSqlClient } from '@accrual/database';

/**
 * Multi-stream appends over thousands of streams (a usage batch for thousands of customers) must
 * not exhaust Postgres's shared lock table (max_locks_per_transaction × connections; 6,400 slots
 * by default): with one advisory lock per stream, four such appends at once asked for 16,000.
 */
describeWithPostgres('postgres event store: wide multi-stream appends', () => {
  let database: TestDatabase;
  let sql: PgSqlClient;
  let store: PostgresEventStore;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_wide_append');
    database = opened.database;
    sql = opened.sql as PgSqlClient;
    store = await PostgresEventStore.open(sql);
  });

  afterAll(async () => {
    await store?.close();
    await sql?.close();
    await database?.drop();
  });

  const usage = (n: number): NewEvent => ({
    id: randomUUID(),
    type: 'UsageRecorded',
    data: { n },
    metadata: { actor: 'wide-append-test', recordedAt: '2026-01-15T10:00:00.000Z' },
  });
  /** One event on each of `streams` streams of the writer's own (so the calls share no lock). */
  const wideCall = (writer: number, streams: number): StreamBatch[] =>
    Array.from({ length: streams }, (_unused, index) => ({ streamId: `usage-wide-${writer}-${index}`, events: [usage(index)] }));

  it('appends four calls of 4,000 streams each at once, then four more over the same streams', async () => {
    for (let round = 0; round < 2; round += 1) {
      const results = await Promise.all([0, 1, 2, 3].map((writer) => store.appendNewMany(wideCall(writer, 4000))));
      expect(results.map((result) => result.appendedIds.length)).toEqual([4000, 4000, 4000, 4000]);
    }
    const revisions = await sql.query<{ stream_id: string; revisions: string[] }>(
      `select stream_id, array_agg(stream_revision::text order by stream_revision) as revisions
       from event_store_events where stream_id like 'usage-wide-%' group by stream_id`,
    );
    expect(revisions.rows).toHaveLength(16000);
    for (const row of revisions.rows) expect(row.revisions).toEqual(['0', '1']);
    await expect(store.verifyIntegrity()).resolves.toMatchObject({ ok: true, checked: 32000n });
  });

  it('holds one lock per stream for a narrow call and one per bucket for a wide one', async () => {
    const locksHeld = async (batches: StreamBatch[]) =>
      sql.transaction(async (tx) => {
        const ids = batches.flatMap((batch) => batch.events.map(() => batch.streamId));
        await tx.query('select event_store_lock_streams($1::text[])', [ids]);
        const held = await tx.query<{ count: string }>(
          `select count(*)::text as count from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`,
        );
        return Number(held.rows[0].count);
      });
    expect(await locksHeld(wideCall(9, STREAM_LOCKS_PER_APPEND_MAX))).toBe(STREAM_LOCKS_PER_APPEND_MAX);
    expect(await locksHeld(wideCall(9, 5000))).toBe(WIDE_APPEND_BUCKETS);
  });
});
