import { createHash, randomUUID } from 'node:crypto';
import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { NewEvent, RecordedEvent } from '../event-store.port';
import { describePgliteUnavailable, pgliteLoadable } from '../testing/pglite-availability';
import { describePostgresUnavailable, postgresReachableNow } from '../testing/postgres-availability';
import { PostgresEventStore } from './postgres-event-store';

/**
 * Tamper evidence on both Postgres flavours: edit, delete, move and forge stored rows directly
 * with SQL, as an attacker with database access would, and check that `verifyIntegrity` names
 * the first position that does not verify. Each test gets a store on a fresh database.
 */

interface Subject {
  store: PostgresEventStore;
  sql: SqlClient;
  close(): Promise<void>;
}

interface Flavour {
  name: string;
  open(): Promise<Subject>;
}

const serverPostgres: Flavour = {
  name: 'postgres',
  open: async () => {
    const { sql, database } = await openTestPostgres('accrual_tamper');
    const store = await PostgresEventStore.open(sql);
    return { store, sql, close: () => closeAll(store, sql, database) };
  },
};

const pglite: Flavour = {
  name: 'pglite',
  open: async () => {
    const sql = await PgliteSqlClient.open();
    const store = await PostgresEventStore.open(sql);
    return { store, sql, close: () => closeAll(store, sql) };
  },
};

async function closeAll(store: PostgresEventStore, sql: SqlClient, database?: TestDatabase): Promise<void> {
  await store.close();
  await sql.close();
  await database?.drop();
}

function event(type: string, data: NewEvent['data']): NewEvent {
  return { id: randomUUID(), type, data, metadata: { actor: 'tamper-test', recordedAt: '2026-01-15T10:00:00.000Z' } };
}

/** Three streams, written through every append path, interleaved in the log. */
async function writeLog(store: PostgresEventStore): Promise<Map<string, RecordedEvent[]>> {
  await store.append('invoice-a', [event('InvoiceCreated', { amount: '10.00' }), event('InvoiceIssued', { n: 1 })], {
    expectedRevision: 'no_stream',
  });
  await store.appendNewMany([
    { streamId: 'usage-b', events: [event('UsageRecorded', { q: '1' }), event('UsageRecorded', { q: '2' })] },
    { streamId: 'invoice-a', events: [event('InvoicePaid', { amount: '10.00' })] },
    { streamId: 'usage-c', events: [event('UsageRecorded', { q: '3' })] },
  ]);
  await store.appendNew('usage-b', [event('UsageRecorded', { q: '4' })]);
  await store.append('invoice-a', [event('InvoiceVoided', { reason: 'test' }), event('InvoiceNoted', { memo: 'x' })], {
    expectedRevision: 2n,
  });
  const streams = new Map<string, RecordedEvent[]>();
  for (const stream of ['invoice-a', 'usage-b', 'usage-c']) streams.set(stream, await store.readStream(stream));
  return streams;
}

function defineTamperTests(flavour: Flavour): void {
  let subject: Subject;
  let log: Map<string, RecordedEvent[]>;
  const at = (stream: string, revision: number): RecordedEvent => {
    const found = log.get(stream)?.[revision];
    if (!found) throw new Error(`no ${stream}@${revision}`);
    return found;
  };
  const exec = (text: string, params: unknown[] = []) => subject.sql.query(text, params);

  // One store for the file (opening PGlite takes seconds); each test starts from an empty log.
  beforeAll(async () => {
    subject = await flavour.open();
  });
  afterAll(async () => {
    await subject.close();
  });
  beforeEach(async () => {
    await exec('truncate event_store_events, event_store_streams, event_store_seals');
    log = await writeLog(subject.store);
  });

  /** Seals everything written so far: readers (and so seals) may lag behind transactions open elsewhere. */
  async function sealAll(): Promise<void> {
    const head = await subject.store.headPosition();
    const deadline = Date.now() + 60_000;
    while ((await subject.store.readAll({ after: head - 1n, maxCount: 1 })).length === 0) {
      if (Date.now() > deadline) throw new Error(`readers did not reach ${head}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subject.store.seal();
  }

  // Tests that seal wait for readers; on a shared server, a transaction open elsewhere delays them.
  jest.setTimeout(150_000);

  it('verifies a clean log, with and without seals', async () => {
    await expect(subject.store.verifyIntegrity()).resolves.toEqual({ ok: true, checked: 9n });
    await sealAll();
    const [seal] = (await exec('select seal_position::text as position, event_count::text as count from event_store_seals')).rows as Array<
      Record<string, string>
    >;
    expect(seal).toEqual({ position: at('invoice-a', 4).position.toString(), count: '9' });
    await subject.store.appendNew('usage-c', [event('UsageRecorded', { q: '5' })]);
    await sealAll();
    expect(await subject.store.seal()).toEqual([]);
    await expect(subject.store.verifyIntegrity()).resolves.toEqual({ ok: true, checked: 10n });
  });

  /** Every stored hash recomputed here from the documented encoding, chained per stream; returns the rows checked. */
  async function expectCanonicalHashes(): Promise<number> {
    const rows = await exec(
      `select global_position::text as position, stream_id, stream_revision::text as revision, event_id::text as id,
              type, data::text as data, metadata::text as metadata, encode(hash, 'hex') as hash
       from event_store_events order by stream_id, stream_revision`,
    );
    const previous = new Map<string, Buffer>();
    for (const row of rows.rows as Record<string, string>[]) {
      const canonical = [
        row.position, Buffer.byteLength(row.stream_id), row.stream_id, row.revision, row.id,
        Buffer.byteLength(row.type), row.type, row.data, row.metadata,
      ].join('\n');
      const digest = createHash('sha256').update(canonical, 'utf8').digest();
      const hash = createHash('sha256').update(previous.get(row.stream_id) ?? Buffer.alloc(32)).update(digest).digest();
      expect(hash.toString('hex')).toBe(row.hash);
      previous.set(row.stream_id, hash);
    }
    return rows.rows.length;
  }

  it('hashes the documented canonical encoding, chained per stream', async () => {
    await expect(expectCanonicalHashes()).resolves.toBe(9);
  });

  it('hashes the same encoding when events share one metadata object, some ids stored or repeated, types mixed', async () => {
    // The store sends each distinct metadata object and type once; every event must still hash its own full row.
    const metadata = { actor: 'shared', correlationId: randomUUID(), recordedAt: '2026-01-15T10:00:00.000Z', 'ünïcode': 'é' };
    const shared = (type: string, data: NewEvent['data']): NewEvent => ({ id: randomUUID(), type, data, metadata });
    const [first, second, third] = [shared('UsageRecorded', { q: '6' }), shared('UsageCorrected', { q: '7' }), shared('UsageRecorded', { q: '8' })];
    const stored = at('usage-b', 0);

    const result = await subject.store.appendNewMany([
      { streamId: 'usage-c', events: [first, { ...second, metadata: { ...metadata } }, first] },
      { streamId: 'usage-d', events: [{ id: stored.id, type: stored.type, data: stored.data, metadata }, third] },
      { streamId: 'usage-b', events: [shared('UsageRecorded', { nested: { b: [1, 2], a: 'x' } })] },
    ]);

    expect(result.appendedIds).toHaveLength(4);
    expect(result.duplicateIds).toEqual([first.id, stored.id]);
    expect((await subject.store.readStream('usage-d')).map((event) => [event.id, event.revision])).toEqual([[third.id, 0n]]);
    await expect(expectCanonicalHashes()).resolves.toBe(13);
    await expect(subject.store.verifyIntegrity()).resolves.toEqual({ ok: true, checked: 13n });
  });

  it('names an edited data payload', async () => {
    const target = at('invoice-a', 2);
    await exec(`update event_store_events set data = '{"amount": "1.00"}' where global_position = $1`, [target.position.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: target.position, reason: expect.stringContaining('hash mismatch') });
  });

  it('names edited metadata', async () => {
    const target = at('usage-b', 1);
    await exec(`update event_store_events set metadata = metadata || '{"actor": "mallory"}' where global_position = $1`, [
      target.position.toString(),
    ]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: target.position });
  });

  it('names a deletion in the middle of a stream at the next event of that stream', async () => {
    await exec('delete from event_store_events where global_position = $1', [at('invoice-a', 2).position.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({
      ok: false,
      firstBadPosition: at('invoice-a', 3).position,
      reason: expect.stringContaining('revision 3 has no predecessor'),
    });
  });

  it("names a deleted last event at its own position, from the stream's head", async () => {
    const last = at('usage-b', 2);
    await exec('delete from event_store_events where global_position = $1', [last.position.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: last.position });
  });

  it('names a swapped pair of positions (across streams and within one)', async () => {
    const [first, second] = [at('invoice-a', 1), at('usage-b', 0)];
    await swapPositions(first.position, second.position);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: first.position });
    await swapPositions(first.position, second.position);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: true });

    const [early, late] = [at('invoice-a', 2), at('invoice-a', 4)];
    await swapPositions(early.position, late.position);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: early.position });
  });

  it('names an edited hash', async () => {
    const target = at('usage-c', 0);
    await exec(`update event_store_events set hash = sha256('forged'::bytea) where global_position = $1`, [target.position.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: target.position });
  });

  it('catches a stream tail rewritten with consistent hashes only through the seal', async () => {
    await sealAll();
    const last = at('invoice-a', 4);
    // Edit the last event, recompute its hash from its predecessor's and move the stream's head:
    // every chain holds; only the seal still remembers the old hash.
    await exec(`update event_store_events set data = '{"memo": "rewritten"}' where global_position = $1`, [last.position.toString()]);
    await exec(
      `update event_store_events e set hash = sha256(p.hash || event_store_event_digest(e.global_position, e.stream_id,
         e.stream_revision, e.event_id, e.type, e.data, e.metadata))
       from event_store_events p where e.global_position = $1 and p.stream_id = e.stream_id and p.stream_revision = e.stream_revision - 1`,
      [last.position.toString()],
    );
    await exec(`update event_store_streams s set head_hash = e.hash from event_store_events e where e.global_position = $1 and s.stream_id = e.stream_id`, [
      last.position.toString(),
    ]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: 1n, reason: expect.stringContaining('seal') });
  });

  it('names a forged seal and a deleted seal', async () => {
    await sealAll();
    const added = await subject.store.appendNew('usage-c', [event('UsageRecorded', { q: '5' })]);
    await sealAll();
    const second = added.position ?? 0n;
    await exec(`update event_store_seals set digest = sha256('forged'::bytea) where seal_position = $1`, [second.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: at('invoice-a', 4).position + 1n });
    await exec('delete from event_store_seals where seal_position < $1', [second.toString()]);
    await expect(subject.store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: 1n });
  });

  async function swapPositions(first: bigint, second: bigint): Promise<void> {
    const parking = '9000000000000000000';
    await exec('update event_store_events set global_position = $2 where global_position = $1', [first.toString(), parking]);
    await exec('update event_store_events set global_position = $2 where global_position = $1', [second.toString(), first.toString()]);
    await exec('update event_store_events set global_position = $2 where global_position = $1', [parking, second.toString()]);
  }
}

/** A database made before the hash chain: the previous schema, rows written as that version did. */
async function legacyDatabase(sql: SqlClient): Promise<void> {
  await sql.query(`create sequence event_store_global_position as bigint start with 1 minvalue 1 cache 1`);
  await sql.query(`create table event_store_events (
    global_position bigint primary key check (global_position > 0), transaction_id xid8 not null,
    stream_id text not null, stream_revision bigint not null check (stream_revision >= 0),
    event_id uuid not null unique, type text not null, data jsonb not null, metadata jsonb not null,
    unique (stream_id, stream_revision))`);
  await sql.query(`create table event_store_streams (stream_id text primary key, revision bigint not null check (revision >= 0))`);
  const rows: Array<[string, number]> = [['old-a', 0], ['old-b', 0], ['old-a', 1], ['old-a', 2], ['old-b', 1]];
  for (const [stream, revision] of rows) {
    await sql.query(
      `insert into event_store_events values (nextval('event_store_global_position'), pg_current_xact_id(), $1, $2, $3, 'Old', $4, '{"actor": "old"}')`,
      [stream, revision, randomUUID(), JSON.stringify({ revision })],
    );
  }
  await sql.query(`insert into event_store_streams values ('old-a', 2), ('old-b', 1)`);
}

function defineMigrationTests(flavour: Flavour): void {
  it('back-fills the chain of a database made before it, which then verifies and catches edits', async () => {
    const subject = await flavour.open();
    await subject.sql.query('drop table event_store_events, event_store_streams, event_store_seals cascade');
    await subject.sql.query('drop sequence event_store_global_position');
    await legacyDatabase(subject.sql);
    const store = await PostgresEventStore.open(subject.sql);
    try {
      await expect(store.verifyIntegrity()).resolves.toEqual({ ok: true, checked: 5n });
      const oldA = await store.readStream('old-a');
      expect(oldA.every((recorded) => /^[0-9a-f]{64}$/.test(recorded.hash ?? ''))).toBe(true);
      await store.appendNew('old-a', [event('New', { after: 'migration' })]);
      await expect(store.verifyIntegrity()).resolves.toEqual({ ok: true, checked: 6n });
      await subject.sql.query(`update event_store_events set data = '{"revision": 9}' where global_position = $1`, [oldA[1].position.toString()]);
      await expect(store.verifyIntegrity()).resolves.toMatchObject({ ok: false, firstBadPosition: oldA[1].position });
    } finally {
      await store.close();
      await subject.close();
    }
  });
}

const flavours: Flavour[] = [];
if (postgresReachableNow()) flavours.push(serverPostgres);
else describePostgresUnavailable('tamper evidence: postgres', () => defineTamperTests(serverPostgres));
if (pgliteLoadable()) flavours.push(pglite);
else describePgliteUnavailable('tamper evidence: pglite');

describe.each(flavours.map((flavour) => [flavour.name, flavour] as const))('tamper evidence: %s', (_name, flavour) => {
  describe('edits to the log', () => defineTamperTests(flavour));
  describe('migration', () => defineMigrationTests(flavour));
});
