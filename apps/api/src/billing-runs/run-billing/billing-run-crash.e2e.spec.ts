import { InvoiceNumberAssignedData, streams } from '@accrual/billing';
import { EventStore } from '@accrual/event-store';
import { CommandContext } from '@accrual/platform';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../../test/support/api-app';
import { BillingRunService } from './billing-run.service';
import { testCommandContext } from '../../../../../test/support/command-context';

/**
 * A run that dies part way (the store fails one write, as a killed process would leave it) and is
 * run again at the same `asOf`: every customer ends with exactly one invoice, every subscription
 * is billed once, and the invoice numbers have no gap.
 */
describeWithPostgres('billing runs after a crash', () => {
  let api: TestApi;
  let database: TestDatabase;
  const post = (path: string, body: unknown) => api.request('POST', path, { body });
  const context = testCommandContext;

  /**
   * Makes the store's `method` fail once, on the first call `when` accepts. The patch sits on the
   * store object itself, under any wrapper (the metrics proxy), and removes itself when it fires.
   */
  function failOnce<Method extends 'append' | 'appendNewMany' | 'appendMany'>(method: Method, when: (...args: Parameters<EventStore[Method]>) => boolean): void {
    const original = Object.getPrototypeOf(api.runtime.eventStore)[method] as (...args: Parameters<EventStore[Method]>) => ReturnType<EventStore[Method]>;
    function patched(this: Record<string, unknown>, ...args: Parameters<EventStore[Method]>) {
      if (!when(...args)) return original.apply(this, args);
      delete this[method];
      return Promise.reject(new Error('simulated crash'));
    }
    (api.runtime.eventStore as unknown as Record<string, unknown>)[method] = patched;
  }

  async function subscriptionsBilled(subscriptionIds: string[]): Promise<number[]> {
    return Promise.all(
      subscriptionIds.map(async (id) => (await api.runtime.eventStore.readStream(streams.subscription(id))).filter((event) => event.type === 'SubscriptionBilled').length),
    );
  }

  async function assignments(): Promise<InvoiceNumberAssignedData[]> {
    return (await api.runtime.eventStore.readStream(streams.invoiceNumbers())).map((event) => event.data as unknown as InvoiceNumberAssignedData);
  }

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_e2e_run_crash');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    const price = { id: 'seat', product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' };
    expect((await post('/v1/prices', price)).status).toBe(201);
    for (const id of ['crash-a', 'crash-b']) {
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

  const subscriptionIds = ['crash-a-s1', 'crash-a-s2', 'crash-b-s1', 'crash-b-s2'];

  async function expectBilledOnceWithoutGaps(runResponse: { status: number; body: { invoiceIds: string[] } }, invoices: number): Promise<void> {
    expect(runResponse.status).toBe(200);
    expect(await subscriptionsBilled(subscriptionIds)).toEqual([1, 1, 1, 1].map(() => invoices));
    const numbers = (await assignments()).map((assignment) => assignment.sequence);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    expect(new Set((await assignments()).map((assignment) => assignment.invoiceId)).size).toBe(numbers.length);
  }

  it('claims written, invoices not created: the next run creates and issues them once', async () => {
    failOnce('appendNewMany', (batches) => batches.some((batch) => batch.streamId.startsWith('invoice-')));
    await expect(api.app.get(BillingRunService).run(Date.parse('2026-01-01T00:00:00Z'), context())).rejects.toThrow('simulated crash');
    expect(await subscriptionsBilled(subscriptionIds)).toEqual([1, 1, 1, 1]);
    expect(await assignments()).toEqual([]);

    const again = await post('/v1/billing-runs', { asOf: '2026-01-01T00:00:00Z' });
    await expectBilledOnceWithoutGaps(again, 1);
    expect(again.body.invoiceIds).toHaveLength(2);
    for (const id of again.body.invoiceIds as string[]) {
      const invoice = await api.request('GET', `/v1/invoices/${id}`, { headers: { 'x-min-position': again.headers.get('x-log-position') as string } });
      expect(invoice.body).toMatchObject({ status: 'open', total: '30.00' });
    }
  });

  it('invoices created, not numbered: the next run numbers them once, in order, and bills nothing twice', async () => {
    failOnce('append', (streamId) => streamId === streams.invoiceNumbers());
    await expect(api.app.get(BillingRunService).run(Date.parse('2026-02-01T00:00:00Z'), context())).rejects.toThrow('simulated crash');
    const numbered = (await assignments()).length;

    const again = await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
    await expectBilledOnceWithoutGaps(again, 2);
    expect((await assignments()).length).toBe(numbered + 2);
    const twice = await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
    expect(twice.body.invoiceIds).toEqual([]);
    expect((await assignments()).length).toBe(numbered + 2);
  });

  it('numbers assigned, not written onto the invoices: the next run finishes them with those numbers', async () => {
    failOnce('appendMany', (batches) => batches.some((batch) => batch.events.some((event) => event.type === 'InvoiceIssued')));
    await expect(api.app.get(BillingRunService).run(Date.parse('2026-03-01T00:00:00Z'), context())).rejects.toThrow('simulated crash');
    const assigned = (await assignments()).slice(-2);

    const again = await post('/v1/billing-runs', { asOf: '2026-03-01T00:00:00Z' });
    await expectBilledOnceWithoutGaps(again, 3);
    expect((await assignments()).slice(-2)).toEqual(assigned);
    for (const { invoiceId, number } of assigned) {
      const invoice = await api.request('GET', `/v1/invoices/${invoiceId}`, { headers: { 'x-min-position': again.headers.get('x-log-position') as string } });
      expect(invoice.body).toMatchObject({ status: 'open', number });
    }
  });
});
