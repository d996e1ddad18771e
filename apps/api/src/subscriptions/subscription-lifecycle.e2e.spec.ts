import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApi, testConfig, TestApi, TestResponse } from '../../../../test/support/api-app';

/**
 * Changing, cancelling, pausing and resuming subscriptions, and late usage, end to end on real
 * Postgres: the proration lines land on the next invoice with exact amounts. Each case has its
 * own customer; billing runs bill every customer due, so each case reads its own customer's
 * invoice from a run.
 */
describeWithPostgres('subscription lifecycle through the HTTP API', () => {
  let api: TestApi;
  let database: TestDatabase;

  const post = (path: string, body: unknown) => api.request('POST', path, { body });
  const seen = (response: TestResponse) => ({ 'x-min-position': response.headers.get('x-log-position') as string });

  async function customer(id: string): Promise<void> {
    expect((await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', country: 'US' })).status).toBe(201);
  }

  async function subscribe(id: string, customerId: string, items: unknown[], startDate = '2026-01-01T00:00:00Z'): Promise<void> {
    const response = await post('/v1/subscriptions', { id, customerId, startDate, items });
    expect(response.status).toBe(201);
  }

  async function run(asOf: string): Promise<TestResponse> {
    const response = await post('/v1/billing-runs', { asOf });
    expect(response.status).toBe(200);
    return response;
  }

  /** The invoice a run made for one customer, read back through the read model (null if none). */
  async function invoiceOf(runResponse: TestResponse, customerId: string) {
    for (const id of runResponse.body.invoiceIds as string[]) {
      const invoice = await api.request('GET', `/v1/invoices/${id}`, { headers: seen(runResponse) });
      expect(invoice.status).toBe(200);
      if (invoice.body.customerId === customerId) return invoice.body;
    }
    return null;
  }

  const lineSummary = (invoice: { lines: Array<Record<string, unknown>> }) =>
    invoice.lines.map((line) => [line.description, line.quantity, line.amount, line.periodStart, line.periodEnd, line.proration]);

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_lifecycle_e2e');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    expect((await post('/v1/meters', { code: 'api_calls', name: 'API calls', aggregation: 'sum' })).status).toBe(201);
    const seats = { id: 'seats', product: 'Seats', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' };
    expect((await post('/v1/prices', seats)).status).toBe(201);
    expect(
      (
        await post('/v1/prices', {
          id: 'calls',
          product: 'API calls',
          currency: 'USD',
          recurring: { interval: 'month', usage: 'metered', meterCode: 'api_calls' },
          model: 'per_unit',
          unitAmount: '0.001',
        })
      ).status,
    ).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('a mid-period upgrade from 10 to 15 seats: credit and charge on the next invoice, then the new quantity', async () => {
    await customer('up');
    await subscribe('sub-up', 'up', [{ priceId: 'seats', quantity: 10 }]);
    expect((await invoiceOf(await run('2026-01-01T00:00:00Z'), 'up')).total).toBe('100.00');

    const changed = await post('/v1/subscriptions/sub-up/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'seats', quantity: 15 }] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: 'sub-up', status: 'active', items: [{ priceId: 'seats', quantity: '15' }], lastChangeAt: '2026-01-15T00:00:00Z' });
    expect(changed.body.pendingLines).toEqual([expect.objectContaining({ dueAt: '2026-01-15T00:00:00Z', line: expect.objectContaining({ amount: '-54.84' }) })]);
    const read = await api.request('GET', '/v1/subscriptions/sub-up', { headers: seen(changed) });
    expect(read.body).toMatchObject({ status: 'active', items: [{ priceId: 'seats', quantity: '15' }] });

    const invoice = await invoiceOf(await run('2026-02-01T00:00:00Z'), 'up');
    // 17 of January's 31 days were left: −100.00 × 17/31 = −54.84 and 150.00 × 17/31 = 82.26.
    expect(lineSummary(invoice)).toEqual([
      ['Unused time on Seats', '10', '-54.84', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z', true],
      ['Seats (prorated)', '15', '82.26', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z', true],
      ['Seats', '15', '150.00', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', false],
    ]);
    expect(invoice).toMatchObject({ subtotal: '177.42', total: '177.42' });
    expect(await invoiceOf(await run('2026-02-01T00:00:00Z'), 'up')).toBeNull();
  });

  it('cancel now with proration: the unused time is credited and the usage up to the cancellation billed', async () => {
    await customer('cancels');
    await subscribe('sub-cancel', 'cancels', [{ priceId: 'seats', quantity: 10 }, { priceId: 'calls' }]);
    // A second subscription of the customer keeps billing on the same (consolidated) invoice.
    await subscribe('sub-stays', 'cancels', [{ priceId: 'seats', quantity: 10 }]);
    expect((await invoiceOf(await run('2026-01-01T00:00:00Z'), 'cancels')).total).toBe('200.00');
    const usage = await post('/v1/usage', { id: 'cancel-u1', subscriptionId: 'sub-cancel', meterCode: 'api_calls', quantity: '2000', timestamp: '2026-01-05T00:00:00Z' });
    expect(usage.status).toBe(202);

    const canceled = await post('/v1/subscriptions/sub-cancel/cancel', { at: '2026-01-15T00:00:00Z', prorate: true });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', cancelAt: '2026-01-15T00:00:00Z', cancelAtPeriodEnd: false });
    const again = await post('/v1/subscriptions/sub-cancel/cancel', { at: '2026-01-16T00:00:00Z' });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('subscription-canceled');

    const invoice = await invoiceOf(await run('2026-02-01T00:00:00Z'), 'cancels');
    expect(lineSummary(invoice)).toEqual([
      ['Unused time on Seats', '10', '-54.84', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z', true],
      ['API calls', '2000', '2.00', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z', false],
      ['Seats', '10', '100.00', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', false],
    ]);
    expect(invoice.total).toBe('47.16');
    const read = await api.request('GET', '/v1/subscriptions/sub-cancel', { headers: seen(canceled) });
    expect(read.body).toMatchObject({ status: 'canceled' });
  });

  it('cancel now without proration: nothing credited, no further period', async () => {
    await customer('quits');
    await subscribe('sub-quits', 'quits', [{ priceId: 'seats', quantity: 10 }, { priceId: 'calls' }]);
    await run('2026-01-01T00:00:00Z');
    await post('/v1/usage', { id: 'quits-u1', customerId: 'quits', meterCode: 'api_calls', quantity: 1000, timestamp: '2026-01-05T00:00:00Z' });
    const canceled = await post('/v1/subscriptions/sub-quits/cancel', { at: '2026-01-15T00:00:00Z' });
    expect(canceled.status).toBe(200);
    expect(canceled.body.pendingLines).toEqual([]);
    const invoice = await invoiceOf(await run('2026-03-01T00:00:00Z'), 'quits');
    expect(lineSummary(invoice)).toEqual([['API calls', '1000', '1.00', '2026-01-01T00:00:00Z', '2026-01-15T00:00:00Z', false]]);
  });

  it('cancel at the period end: active until the end of the period in progress, then nothing more bills', async () => {
    const now = new Date();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().replace('.000Z', 'Z');
    const nextMonthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().replace('.000Z', 'Z');
    await customer('leaves');
    await subscribe('sub-leaves', 'leaves', [{ priceId: 'seats', quantity: 2 }], monthStart);
    expect((await invoiceOf(await run(monthStart), 'leaves')).total).toBe('20.00');
    const canceled = await post('/v1/subscriptions/sub-leaves/cancel', { atPeriodEnd: true });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'active', cancelAt: nextMonthStart, cancelAtPeriodEnd: true });
    expect((await post('/v1/subscriptions/sub-leaves/cancel', { atPeriodEnd: true })).body.type).toBe('subscription-canceled');
    const both = await post('/v1/subscriptions/sub-leaves/cancel', { atPeriodEnd: true, at: monthStart });
    expect(both.status).toBe(409);
    expect(await invoiceOf(await run(new Date(Date.now()).toISOString()), 'leaves')).toBeNull();
  });

  it('pause and resume: paused time is credited; the resume bills a prorated stub to the next boundary', async () => {
    await customer('naps');
    await subscribe('sub-naps', 'naps', [{ priceId: 'seats', quantity: 10 }]);
    await run('2026-01-01T00:00:00Z');
    const paused = await post('/v1/subscriptions/sub-naps/pause', { at: '2026-01-11T00:00:00Z' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', pausedAt: '2026-01-11T00:00:00Z' });
    expect((await post('/v1/subscriptions/sub-naps/pause', { at: '2026-01-12T00:00:00Z' })).body.type).toBe('subscription-paused');
    expect((await post('/v1/subscriptions/sub-naps/change', { effectiveAt: '2026-01-12T00:00:00Z', items: [{ priceId: 'seats' }] })).status).toBe(409);
    const resumed = await post('/v1/subscriptions/sub-naps/resume', { at: '2026-01-21T00:00:00Z' });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active', pausedAt: null });
    const notPaused = await post('/v1/subscriptions/sub-naps/resume', { at: '2026-01-22T00:00:00Z' });
    expect(notPaused.status).toBe(409);
    expect(notPaused.body.type).toBe('subscription-not-paused');

    const invoice = await invoiceOf(await run('2026-02-01T00:00:00Z'), 'naps');
    // 21 days unused at the pause: −67.74; 11 days after the resume: 35.48. January: 21 days served, 67.74.
    expect(lineSummary(invoice)).toEqual([
      ['Unused time on Seats', '10', '-67.74', '2026-01-11T00:00:00Z', '2026-02-01T00:00:00Z', true],
      ['Seats (prorated)', '10', '35.48', '2026-01-21T00:00:00Z', '2026-02-01T00:00:00Z', true],
      ['Seats', '10', '100.00', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', false],
    ]);
  });

  it('usage for a period already invoiced is billed on the next invoice, on a line naming its original period', async () => {
    await customer('late');
    await subscribe('sub-late', 'late', [{ priceId: 'calls' }]);
    await post('/v1/usage', { id: 'late-u1', subscriptionId: 'sub-late', meterCode: 'api_calls', quantity: '1000', timestamp: '2026-01-10T00:00:00Z' });
    const january = await invoiceOf(await run('2026-02-01T00:00:00Z'), 'late');
    expect(lineSummary(january)).toEqual([['API calls', '1000', '1.00', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', false]]);

    const late = await post('/v1/usage/batch', {
      events: [
        { id: 'late-u2', subscriptionId: 'sub-late', meterCode: 'api_calls', quantity: '500', timestamp: '2026-01-20T00:00:00Z' },
        { id: 'late-u3', customerId: 'late', meterCode: 'api_calls', quantity: '250', timestamp: '2026-01-31T23:59:59Z' },
        { id: 'late-u4', subscriptionId: 'sub-late', meterCode: 'api_calls', quantity: '2000', timestamp: '2026-02-10T00:00:00Z' },
      ],
    });
    expect(late.body).toMatchObject({ accepted: 3 });
    const february = await invoiceOf(await run('2026-03-01T00:00:00Z'), 'late');
    expect(lineSummary(february)).toEqual([
      ['API calls', '2000', '2.00', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', false],
      ['API calls (late usage)', '750', '0.75', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', false],
    ]);
    expect(await invoiceOf(await run('2026-03-01T00:00:00Z'), 'late')).toBeNull();
  });

  it('refuses: unknown subscription 404, bad instants 400, unknown price 422, and appends nothing', async () => {
    await customer('refused');
    await subscribe('sub-refused', 'refused', [{ priceId: 'seats' }]);
    const unknown = await post('/v1/subscriptions/sub-nope/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'seats' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('subscription-not-found');
    expect((await post('/v1/subscriptions/sub-nope/pause', { at: '2026-01-15T00:00:00Z' })).status).toBe(404);
    const future = await post('/v1/subscriptions/sub-refused/change', { effectiveAt: '2099-01-01T00:00:00Z', items: [{ priceId: 'seats' }] });
    expect(future.status).toBe(400);
    expect(future.body.errors).toEqual([expect.objectContaining({ field: 'effectiveAt' })]);
    const beforeStart = await post('/v1/subscriptions/sub-refused/cancel', { at: '2025-12-31T00:00:00Z' });
    expect(beforeStart.status).toBe(400);
    expect((await post('/v1/subscriptions/sub-refused/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [] })).status).toBe(400);
    expect((await post('/v1/subscriptions/sub-refused/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'seats' }], prorate: 'no' })).status).toBe(400);
    const unknownPrice = await post('/v1/subscriptions/sub-refused/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'nope' }] });
    expect(unknownPrice.status).toBe(422);
    expect(unknownPrice.body.type).toBe('unknown-price');
    const stream = await api.runtime.eventStore.readStream('subscription-sub-refused');
    expect(stream.map((event) => event.type)).toEqual(['SubscriptionCreated']);
  });

  it('a credit larger than what the next run charges: a negative invoice, whose credit the next invoice uses', async () => {
    await customer('credited');
    await subscribe('sub-credited', 'credited', [{ priceId: 'seats', quantity: 10 }]);
    await run('2026-01-01T00:00:00Z');
    expect((await post('/v1/subscriptions/sub-credited/cancel', { at: '2026-01-15T00:00:00Z', prorate: true })).status).toBe(200);
    const credit = await invoiceOf(await run('2026-02-01T00:00:00Z'), 'credited');
    expect(lineSummary(credit)).toEqual([['Unused time on Seats', '10', '-54.84', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00Z', true]]);
    expect(credit).toMatchObject({ total: '-54.84', status: 'paid', amountDue: '0.00' });
    await subscribe('sub-credited-2', 'credited', [{ priceId: 'seats', quantity: 10 }], '2026-03-01T00:00:00Z');
    const invoice = await invoiceOf(await run('2026-03-01T00:00:00Z'), 'credited');
    expect(lineSummary(invoice)).toEqual([['Seats', '10', '100.00', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z', false]]);
    expect(invoice).toMatchObject({ total: '100.00', amountCredited: '54.84', amountDue: '45.16' });
  });
});
