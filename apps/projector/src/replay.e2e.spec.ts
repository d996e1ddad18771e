import {
  ALL_PROJECTIONS,
  LIVE_SCHEMA,
  migrateReadModels,
  Projection,
  Projector,
  readCheckpoint,
  ReadModelDigest,
  readModelDigest,
  rebuildReadModels,
} from '@accrual/read-models';
import { describeWithPostgres } from '../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../test/support/api-app';

/**
 * Replay for auditors and the projector's restart safety, on Postgres and on PGlite: a realistic scenario
 * through the HTTP API, then rebuilds compared with the live read models by digest.
 */
describeWithPostgres('replay for auditors', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
  let api: TestApi;
  let pastInstant: Date;
  let pastDigest: ReadModelDigest;
  let pastCheckpoint: bigint;

  const post = async (path: string, body: unknown) => {
    const answer = await api.request('POST', path, { body });
    if (answer.status >= 300) throw new Error(`${path} answered ${answer.status}: ${answer.text}`);
    return answer;
  };
  /** Waits until the live projector has applied everything in the log. */
  const caughtUp = async () => {
    const head = await api.runtime.eventStore.headPosition();
    expect(await api.runtime.projector!.waitFor(head, 30_000)).toBe(true);
    return head;
  };

  beforeAll(async () => {
    api = await startTestApiOn(kind, 'accrual_replay');
    await firstQuarter();
    await caughtUp();
    pastDigest = await readModelDigest(api.runtime.sql, LIVE_SCHEMA);
    pastCheckpoint = await readCheckpoint(api.runtime.sql);
    pastInstant = new Date();
    // Everything after this is recorded strictly later than the instant.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await secondQuarter();
    await caughtUp();
  });

  afterAll(async () => {
    await api?.close();
  });

  async function firstQuarter(): Promise<void> {
    for (const id of ['acme', 'globex']) {
      await post('/v1/customers', { id, name: id, email: `ap@${id}.test`, currency: 'USD', country: 'US' });
    }
    await post('/v1/meters', { code: 'api_calls', name: 'API calls', aggregation: 'sum' });
    await post('/v1/prices', { id: 'seats', product: 'Seats', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' });
    await post('/v1/prices', {
      id: 'calls',
      product: 'API calls',
      currency: 'USD',
      recurring: { interval: 'month', usage: 'metered', meterCode: 'api_calls' },
      model: 'per_unit',
      unitAmount: '0.001',
    });
    for (const customerId of ['acme', 'globex']) {
      await post('/v1/subscriptions', {
        id: `sub-${customerId}`,
        customerId,
        startDate: '2026-01-01T00:00:00Z',
        items: [{ priceId: 'seats', quantity: 3 }, { priceId: 'calls' }],
      });
    }
    await post('/v1/usage/batch', {
      events: Array.from({ length: 40 }, (_, index) => ({
        id: `u-${index}`,
        customerId: index % 2 === 0 ? 'acme' : 'globex',
        meterCode: 'api_calls',
        quantity: String(100 + index),
        timestamp: `2026-01-${String(1 + (index % 28)).padStart(2, '0')}T00:00:00Z`,
      })),
    });
    await post('/v1/billing-runs', { asOf: '2026-01-01T00:00:00Z' });
    await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
  }

  async function secondQuarter(): Promise<void> {
    const invoices = await api.runtime.sql.query<{ id: string; customer_id: string; total: string }>(
      `select id, customer_id, total::text as total from ${LIVE_SCHEMA}.invoices where status = 'open' order by created_position`,
    );
    expect(invoices.rows.length).toBeGreaterThanOrEqual(2);
    const [first, second] = invoices.rows;
    await post('/v1/payments', { customerId: first.customer_id, invoiceId: first.id, amount: first.total, currency: 'USD', receivedAt: '2026-02-10T00:00:00Z', method: 'bank_transfer' });
    await post('/v1/credit-notes', { invoiceId: second.id, amount: '5.00', reason: 'goodwill', issuedAt: '2026-02-11T00:00:00Z' });
    await post('/v1/payments', { customerId: 'globex', amount: '12.34', currency: 'USD', receivedAt: '2026-02-12T00:00:00Z', method: 'card' });
    // More than acme owes: the rest becomes customer credit (applied at the next issue), part of it refunded.
    await post('/v1/payments', { id: 'pay-acme-over', customerId: 'acme', amount: '1000.00', currency: 'USD', receivedAt: '2026-02-12T00:00:00Z', method: 'card' });
    await post('/v1/payments/pay-acme-over/refund', { amount: '100.00', at: '2026-02-13T00:00:00Z', reason: 'overpaid' });
    await post('/v1/invoices', { id: 'inv-void', customerId: 'globex', lines: [{ description: 'Setup', unitAmount: '50.00' }] });
    await post('/v1/invoices/inv-void/issue', { issuedAt: '2026-02-14T00:00:00Z' });
    await post('/v1/invoices/inv-void/void', { at: '2026-02-15T00:00:00Z', reason: 'duplicate' });
    await post('/v1/customers', { id: 'initech', name: 'initech', email: 'ap@initech.test', currency: 'USD', country: 'US' });
    await post('/v1/customers/initech/erase', {});
    await post('/v1/usage/batch', {
      events: [
        { id: 'u-late', customerId: 'acme', meterCode: 'api_calls', quantity: '7', timestamp: '2026-01-15T00:00:00Z' },
        { id: 'u-feb', customerId: 'globex', meterCode: 'api_calls', quantity: '9', timestamp: '2026-02-15T00:00:00Z' },
      ],
    });
    await post('/v1/billing-runs', { asOf: '2026-03-01T00:00:00Z' });
    // Late for February, billed on March 1: marks late usage for the next run.
    await post('/v1/usage/batch', {
      events: [
        { id: 'u-late-1', customerId: 'acme', meterCode: 'api_calls', quantity: '3', timestamp: '2026-02-20T00:00:00Z' },
        { id: 'u-late-2', customerId: 'globex', meterCode: 'api_calls', quantity: '4', timestamp: '2026-02-21T00:00:00Z' },
      ],
    });
  }

  it('exposes the projector lag in events and milliseconds in /health and /metrics', async () => {
    await caughtUp();
    const health = await api.request('GET', '/health', { key: null });
    expect(health.body.projector).toMatchObject({ lagEvents: '0', lagMs: 0 });
    const metrics = await api.request('GET', '/metrics', { key: null });
    expect(metrics.text).toMatch(/^accrual_projection_lag_events 0$/m);
    expect(metrics.text).toMatch(/^accrual_projection_lag_ms 0$/m);
  });

  it('a rebuild from zero gives tables identical to the live ones', async () => {
    const live = await readModelDigest(api.runtime.sql, LIVE_SCHEMA);
    const result = await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'audit_test', pageSize: 25 });
    expect(result.checkpoint).toBe(await readCheckpoint(api.runtime.sql));
    expect(Object.keys(live).length).toBeGreaterThanOrEqual(10);
    expect(['invoices', 'payments', 'credit_notes', 'usage_events'].every((table) => live[table] !== null)).toBe(true);
    expect(await readModelDigest(api.runtime.sql, 'audit_test')).toEqual(live);
  });

  it('runs and batches applied at once (applyMany, applyBatch) give the same tables as event by event', async () => {
    const live = await readModelDigest(api.runtime.sql, LIVE_SCHEMA);
    expect(live.late_usage).not.toBeNull();
    expect(['journal_entries', 'ledger_invoice_credits', 'ledger_payments', 'customer_credit_balances'].every((table) => live[table] !== null)).toBe(true);
    const oneByOne = ALL_PROJECTIONS.map((projection) => ({ ...projection, applyMany: undefined, applyBatch: undefined }));
    await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'audit_one_by_one', projections: oneByOne });
    expect(await readModelDigest(api.runtime.sql, 'audit_one_by_one')).toEqual(live);
  });

  it('a rebuild until a past instant equals the live read models as they stood then', async () => {
    const result = await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'audit_past', until: pastInstant, pageSize: 7 });
    expect(result.checkpoint).toBe(pastCheckpoint);
    expect(await readModelDigest(api.runtime.sql, 'audit_past')).toEqual(pastDigest);
    expect(await readModelDigest(api.runtime.sql, LIVE_SCHEMA)).not.toEqual(pastDigest);
  });

  it('a rebuild again into the same schema starts over; the live schema and reserved names are refused', async () => {
    const before = await readModelDigest(api.runtime.sql, 'audit_test');
    await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'audit_test' });
    expect(await readModelDigest(api.runtime.sql, 'audit_test')).toEqual(before);
    for (const schema of [LIVE_SCHEMA, 'public', 'Audit', 'audit;drop', 'pg_catalog']) {
      await expect(rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema })).rejects.toThrow();
    }
    expect(await readModelDigest(api.runtime.sql, LIVE_SCHEMA)).toEqual(before);
  });

  it('a projector that dies in the middle of a batch leaves nothing of it; restarted, it equals a fresh rebuild', async () => {
    const { sql, eventStore } = api.runtime;
    const events = await eventStore.readAll({ maxCount: 10_000 });
    const failAt = events[Math.floor(events.length / 2)].position;
    const dying = new Projector(eventStore, sql, { schema: 'crash_test', projections: [...ALL_PROJECTIONS, failingAt(failAt)] });
    await sql.exec('drop schema if exists crash_test cascade');
    // Batches of 10 up to the one holding the failing event, applied the way the subscription does.
    const batches = chunks(events, 10);
    const failing = batches.findIndex((batch) => batch.some((recorded) => recorded.position === failAt));
    await migrateReadModels(sql, 'crash_test');
    for (const batch of batches.slice(0, failing)) await dying.applyBatch(batch);
    const checkpointBefore = await readCheckpoint(sql, 'crash_test');
    const digestBefore = await readModelDigest(sql, 'crash_test');
    await expect(dying.applyBatch(batches[failing])).rejects.toThrow('killed mid-batch');
    expect(await readCheckpoint(sql, 'crash_test')).toBe(checkpointBefore);
    expect(await readModelDigest(sql, 'crash_test')).toEqual(digestBefore);

    const restarted = new Projector(eventStore, sql, { schema: 'crash_test', batchSize: 10 });
    await restarted.start();
    try {
      expect(await restarted.waitFor(events[events.length - 1].position, 30_000)).toBe(true);
    } finally {
      await restarted.stop();
    }
    await rebuildReadModels({ store: eventStore, sql, schema: 'crash_fresh' });
    expect(await readModelDigest(sql, 'crash_test')).toEqual(await readModelDigest(sql, 'crash_fresh'));
  });
});
});

/** A projection that throws on the event at `position`, after the others applied part of the batch. */
function failingAt(position: bigint): Projection {
  const everything = new Set(ALL_PROJECTIONS.flatMap((projection) => [...projection.handles]));
  return {
    name: 'crash',
    handles: everything,
    async apply(_tx, _schema, { recorded }) {
      if (recorded.position === position) throw new Error('killed mid-batch');
    },
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}
