import { streams } from '@accrual/billing';
import { EventStore } from '@accrual/event-store';
import { CommandContext } from '@accrual/platform';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../../test/support/api-app';
import { BillingRunService } from './billing-run.service';
import { testCommandContext } from '../../../../../test/support/command-context';

/**
 * A run claims a page's subscriptions in one all-or-nothing append (`appendMany`). A subscription
 * changed after it was planned must not be overwritten: its chunk falls back to one append per
 * subscription, the others are billed, and it is left to the next run.
 */
describeWithPostgres('billing-run claims, many at once', () => {
  let api: TestApi;
  let database: TestDatabase;
  const post = (path: string, body: unknown) => api.request('POST', path, { body });
  const context = testCommandContext;
  const subscriptionIds = ['claims-a-s1', 'claims-a-s2', 'claims-b-s1', 'claims-b-s2'];

  /** Runs `before` once, just ahead of the store's next `appendMany` (patched on the store object, under any wrapper). */
  function beforeNextAppendMany(before: () => Promise<void>): void {
    const original = Object.getPrototypeOf(api.runtime.eventStore).appendMany as EventStore['appendMany'];
    async function patched(this: Record<string, unknown>, ...args: Parameters<EventStore['appendMany']>) {
      delete this.appendMany;
      await before();
      return original.apply(this, args);
    }
    (api.runtime.eventStore as unknown as Record<string, unknown>).appendMany = patched;
  }

  async function billedCounts(): Promise<number[]> {
    return Promise.all(
      subscriptionIds.map(async (id) => (await api.runtime.eventStore.readStream(streams.subscription(id))).filter((event) => event.type === 'SubscriptionBilled').length),
    );
  }

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_e2e_run_claims');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    const price = { id: 'seat', product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' };
    expect((await post('/v1/prices', price)).status).toBe(201);
    for (const id of ['claims-a', 'claims-b']) {
      expect((await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', country: 'US' })).status).toBe(201);
      for (const n of [1, 2]) {
        const body = { id: `${id}-s${n}`, customerId: id, startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'seat', quantity: n }] };
        expect((await post('/v1/subscriptions', body)).status).toBe(201);
      }
    }
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('a subscription changed after it was planned is not claimed; the rest of its chunk is, and the next run bills it once', async () => {
    const run = api.app.get(BillingRunService);
    beforeNextAppendMany(async () => {
      const changed = await post('/v1/subscriptions/claims-a-s2/change', { effectiveAt: '2026-01-01T00:00:00Z', items: [{ priceId: 'seat', quantity: 5 }], prorate: false });
      expect(changed.status).toBe(200);
    });

    const first = await run.run(Date.parse('2026-01-01T00:00:00Z'), context());

    expect(await billedCounts()).toEqual([1, 0, 1, 1]);
    expect(first.invoiceIds).toHaveLength(2);
    const second = await run.run(Date.parse('2026-01-01T00:00:00Z'), context());
    expect(await billedCounts()).toEqual([1, 1, 1, 1]);
    expect(second.invoiceIds).toHaveLength(1);
    const third = await run.run(Date.parse('2026-01-01T00:00:00Z'), context());
    expect(third.invoiceIds).toEqual([]);
    expect(await billedCounts()).toEqual([1, 1, 1, 1]);
  });

  it('a crash at the claims writes none of them; the next run bills each subscription once', async () => {
    const run = api.app.get(BillingRunService);
    beforeNextAppendMany(async () => {
      throw new Error('simulated crash');
    });

    await expect(run.run(Date.parse('2026-02-01T00:00:00Z'), context())).rejects.toThrow('simulated crash');
    expect(await billedCounts()).toEqual([1, 1, 1, 1]);

    const again = await run.run(Date.parse('2026-02-01T00:00:00Z'), context());
    expect(again.invoiceIds).toHaveLength(2);
    expect(await billedCounts()).toEqual([2, 2, 2, 2]);
    expect((await run.run(Date.parse('2026-02-01T00:00:00Z'), context())).invoiceIds).toEqual([]);
  });
});
