import { describeWithPostgres } from '../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../test/support/api-app';

/**
 * The first commands end to end on real Postgres: customer, meter, prices, subscription, usage,
 * billing run (which issues), invoice read back through the read model.
 */
describeWithPostgres('billing flow through the HTTP API', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApiOn(kind, 'accrual_e2e');
  });

  afterAll(async () => {
    await api?.close();
  });

  it('bills a licensed seat price in advance and a metered price in arrears on one invoice', async () => {
    const post = (path: string, body: unknown) => api.request('POST', path, { body });
    expect((await post('/v1/customers', { id: 'acme', name: 'Acme', email: 'ap@acme.test', currency: 'USD', country: 'US' })).status).toBe(201);
    expect((await post('/v1/meters', { code: 'api_calls', name: 'API calls', aggregation: 'sum' })).status).toBe(201);
    expect(
      (await post('/v1/prices', { id: 'seats', product: 'Seats', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' }))
        .status,
    ).toBe(201);
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
    const subscription = await post('/v1/subscriptions', {
      id: 'sub-1',
      customerId: 'acme',
      startDate: '2026-01-01T00:00:00Z',
      items: [{ priceId: 'seats', quantity: 5 }, { priceId: 'calls' }],
    });
    expect(subscription.status).toBe(201);
    expect(subscription.headers.get('x-log-position')).toMatch(/^\d+$/);

    const usage = await post('/v1/usage/batch', {
      events: [
        { id: 'u1', subscriptionId: 'sub-1', meterCode: 'api_calls', quantity: '1500', timestamp: '2026-01-10T00:00:00Z' },
        { id: 'u2', customerId: 'acme', meterCode: 'api_calls', quantity: 500, timestamp: '2026-01-20T00:00:00Z' },
        { id: 'u3', customerId: 'acme', meterCode: 'nope', timestamp: '2026-01-20T00:00:00Z' },
      ],
    });
    expect(usage.status).toBe(202);
    expect(usage.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 2, type: 'unknown-meter' }] });

    const first = await post('/v1/billing-runs', { asOf: '2026-01-01T00:00:00Z' });
    expect(first.status).toBe(200);
    expect(first.body.invoiceIds).toHaveLength(1);
    const second = await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
    expect(second.body.invoiceIds).toHaveLength(1);

    const invoice = await api.request('GET', `/v1/invoices/${second.body.invoiceIds[0]}`, {
      headers: { 'x-min-position': second.headers.get('x-log-position') as string },
    });
    expect(invoice.status).toBe(200);
    expect(invoice.body).toMatchObject({
      customerId: 'acme',
      status: 'open',
      currency: 'USD',
      number: 'INV-000002',
      issuedAt: '2026-02-01T00:00:00Z',
      dueDate: '2026-03-03',
      subtotal: '52.00',
      total: '52.00',
      amountDue: '52.00',
    });
    expect(invoice.body.lines).toEqual([
      expect.objectContaining({ priceId: 'seats', quantity: '5', amount: '50.00', periodStart: '2026-02-01T00:00:00Z', periodEnd: '2026-03-01T00:00:00Z' }),
      expect.objectContaining({ priceId: 'calls', quantity: '2000', amount: '2.00', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-02-01T00:00:00Z' }),
    ]);

    const again = await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
    expect(again.body.invoiceIds).toEqual([]);
  });
});
});
