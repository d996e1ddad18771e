import { PgSqlClient } from '@accrual/database';
import { NewEvent, PostgresEventStore, StreamBatch } from '@accrual/event-store';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { laneOf, USAGE_EVENTS_PER_APPEND_MAX, UsageAppender } from './usage-appender';
import { usageEventId } from './record-usage.command';

function usage(usageId: string, customerId: string): NewEvent {
  return {
    id: usageEventId(usageId),
    type: 'UsageRecorded',
    data: { id: usageId, customerId, subscriptionId: null, meterCode: 'calls', quantity: '1', timestamp: '2026-01-10T00:00:00Z', properties: {} },
    metadata: { actor: 'test', recordedAt: '2026-01-10T00:00:01Z' },
  };
}

/** A request's batches: usage ids `<prefix>-<n>` spread over `customers` customers' streams. */
function request(prefix: string, count: number, customers: number): StreamBatch[] {
  const byStream = new Map<string, NewEvent[]>();
  for (let index = 0; index < count; index += 1) {
    const customerId = `c${index % customers}`;
    const events = byStream.get(`usage-${customerId}`) ?? [];
    events.push(usage(`${prefix}-${index}`, customerId));
    byStream.set(`usage-${customerId}`, events);
  }
  return Array.from(byStream, ([streamId, events]) => ({ streamId, events }));
}

describeWithPostgres('UsageAppender on Postgres', () => {
  let sql: PgSqlClient;
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    ({ sql, database } = await openTestPostgres('accrual_usage_appender'));
    store = await PostgresEventStore.open(sql);
  });

  afterAll(async () => {
    await store?.close();
    await sql?.close();
    await database?.drop();
  });

  it('answers each of many concurrent requests exactly, and appends every event once with contiguous revisions', async () => {
    const appender = new UsageAppender(store);
    const requests = Array.from({ length: 12 }, (_unused, index) => request(`r${index}`, 700, 50));
    const shares = await Promise.all(requests.map((batches) => appender.append(batches)));
    expect(shares.map((share) => [share.appended, share.duplicates])).toEqual(requests.map(() => [700, 0]));
    const head = await store.headPosition();
    for (const share of shares) expect(share.position! <= head).toBe(true);
    const stream = await store.readStream('usage-c7');
    expect(stream.map((event) => event.revision)).toEqual(stream.map((_event, index) => BigInt(index)));
    expect(new Set(stream.map((event) => event.id)).size).toBe(stream.length);
    expect(stream).toHaveLength(12 * 14);
  });

  it('credits a usage id sent by two concurrent requests to one of them, and counts it a duplicate for the other', async () => {
    const appender = new UsageAppender(store);
    const shared = usage('both-1', 'c1');
    const first = [{ streamId: 'usage-c1', events: [shared, usage('first-1', 'c1')] }];
    const second = [{ streamId: 'usage-c1', events: [usage('second-1', 'c1'), shared] }];
    const shares = await Promise.all([appender.append(request('busy', 3000, 20)), appender.append(first), appender.append(second)]);
    expect(shares[0]).toMatchObject({ appended: 3000, duplicates: 0 });
    expect(shares[1].appended + shares[2].appended).toBe(3);
    expect(shares[1].duplicates + shares[2].duplicates).toBe(1);
    const ids = (await store.readStream('usage-c1')).map((event) => event.data.id);
    expect(ids.filter((id) => id === 'both-1')).toHaveLength(1);
  });

  it('splits the waiting requests of a lane into appends of at most USAGE_EVENTS_PER_APPEND_MAX events', async () => {
    // One lane, so that each append's last position is one request's answer.
    const appender = new UsageAppender(store, 1);
    const before = await store.headPosition();
    const size = USAGE_EVENTS_PER_APPEND_MAX / 2 + 1;
    const shares = await Promise.all([1, 2, 3].map((index) => appender.append(request(`big${index}`, size, 100))));
    expect(shares.every((share) => share.appended === size)).toBe(true);
    // Each request took its own append: over half the limit each, no two fit together.
    expect(new Set(shares.map((share) => share.position)).size).toBe(3);
    expect((await store.headPosition()) - before).toBe(BigInt(3 * size));
  });

  it('answers each request of a merged append exactly when some of its events were stored before', async () => {
    const appender = new UsageAppender(store);
    await appender.append(request('partly', 6, 2));
    // The first request's append is in flight while the other two wait, then go together.
    const shares = await Promise.all([
      appender.append(request('partly-busy', 3000, 20)),
      appender.append(request('partly-new', 4, 2)),
      appender.append(request('partly', 10, 2)),
    ]);
    expect(shares.map((share) => [share.appended, share.duplicates])).toEqual([
      [3000, 0],
      [4, 0],
      [4, 6],
    ]);
    expect(shares[1].position).toBe(shares[2].position);
  });

  it('answers a resent request with duplicates and no position', async () => {
    const appender = new UsageAppender(store);
    const batches = request('again', 10, 3);
    expect(await appender.append(batches)).toMatchObject({ appended: 10, duplicates: 0 });
    expect(await appender.append(batches)).toEqual({ appended: 0, duplicates: 10 });
    expect(await appender.append([])).toEqual({ appended: 0, duplicates: 0 });
  });

  it('answers a request whose streams fall in both lanes once both committed, at or after the position of every event of it', async () => {
    const batches = request('lanes', 400, 40);
    const lanes = new Set(batches.map((batch) => laneOf(batch.streamId, 2)));
    expect(lanes).toEqual(new Set([0, 1]));
    const appender = new UsageAppender(store, 2);
    const others = Array.from({ length: 6 }, (_unused, index) => appender.append(request(`lanes-other${index}`, 300, 40)));
    const share = await appender.append(batches);
    await Promise.all(others);
    expect(share).toMatchObject({ appended: 400, duplicates: 0 });
    const ids = new Set(batches.flatMap((batch) => batch.events.map((event) => event.id)));
    const positions: bigint[] = [];
    for (const streamId of new Set(batches.map((batch) => batch.streamId))) {
      for (const event of await store.readStream(streamId)) if (ids.has(event.id)) positions.push(event.position);
    }
    expect(positions).toHaveLength(400);
    const last = positions.reduce((max, position) => (position > max ? position : max));
    expect(share.position! >= last).toBe(true);
  });

  it('answers exactly with one lane as with two', async () => {
    const appender = new UsageAppender(store, 1);
    const requests = Array.from({ length: 5 }, (_unused, index) => request(`one-lane${index}`, 500, 30));
    const shares = await Promise.all(requests.map((batches) => appender.append(batches)));
    expect(shares.map((share) => [share.appended, share.duplicates])).toEqual(requests.map(() => [500, 0]));
    expect(await appender.append(requests[0])).toEqual({ appended: 0, duplicates: 500 });
  });

  it('spreads streams over the lanes by a fixed hash of their id', () => {
    const streams = Array.from({ length: 1000 }, (_unused, index) => `usage-cus_${index}`);
    const counts = [0, 0];
    for (const streamId of streams) {
      const lane = laneOf(streamId, 2);
      expect(laneOf(streamId, 2)).toBe(lane);
      counts[lane] += 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(400);
    expect(laneOf('usage-x', 1)).toBe(0);
  });
});
