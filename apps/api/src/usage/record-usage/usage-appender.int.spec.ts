import { PgSqlClient } from '@accrual/database';
import { NewEvent, PostgresEventStore, StreamBatch } from '@accrual/event-store';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { USAGE_EVENTS_PER_APPEND_MAX, UsageAppender } from './usage-appender';
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

  it('splits the waiting requests into appends of at most USAGE_EVENTS_PER_APPEND_MAX events', async () => {
    const appender = new UsageAppender(store);
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
});
