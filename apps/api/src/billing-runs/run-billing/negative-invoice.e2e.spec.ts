import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi, TestResponse } from '../../../../../test/support/api-app';

/**
 * A billing-run invoice whose total is negative (docs/billing.md, "Negative invoices"): a
 * downgrade's proration credit larger than the new charges. It is issued, paid at once with amount
 * due zero; its negative total becomes customer credit, and the next invoice is reduced by it.
 */
describeWithPostgres('negative billing-run invoices through the HTTP API', () => {
  let api: TestApi;
  let database: TestDatabase;
  let last: TestResponse;

  const post = async (path: string, body: unknown): Promise<TestResponse> => {
    const response = await api.request('POST', path, { body });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    last = response;
    return response;
  };
  const get = async (path: string) => {
    const response = await api.request('GET', path, { headers: { 'x-min-position': last.headers.get('x-log-position') as string } });
    expect(response.status).toBe(200);
    return response.body;
  };
  const run = async (asOf: string) => {
    const response = await post('/v1/billing-runs', { asOf });
    const invoices = await Promise.all((response.body.invoiceIds as string[]).map((id) => get(`/v1/invoices/${id}`)));
    return invoices.filter((invoice) => invoice.customerId === 'down');
  };
  const lineSummary = (invoice: { lines: Array<Record<string, unknown>> }) => invoice.lines.map((line) => [line.description, line.amount]);

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_negative_invoice_e2e');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    const monthly = { currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit' };
    await post('/v1/prices', { id: 'pro', product: 'Pro', unitAmount: '100.00', ...monthly });
    await post('/v1/prices', { id: 'basic', product: 'Basic', unitAmount: '30.00', ...monthly });
    await post('/v1/customers', { id: 'down', name: 'Down', email: 'down@example.test', currency: 'USD', country: 'US' });
    await post('/v1/subscriptions', { id: 'sub-down', customerId: 'down', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'pro', quantity: 1 }] });
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('issues the downgrade’s invoice with its negative total, amount due zero, and makes the rest customer credit', async () => {
    const [january] = await run('2026-01-01T00:00:00Z');
    expect(january).toMatchObject({ total: '100.00', status: 'open', amountDue: '100.00' });
    await post('/v1/subscriptions/sub-down/change', { effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'basic', quantity: 1 }], prorate: true });

    const [february] = await run('2026-02-01T00:00:00Z');
    // 17 of January's 31 days were left: −100.00 × 17/31 = −54.84 and 30.00 × 17/31 = 16.45.
    expect(lineSummary(february)).toEqual([
      ['Unused time on Pro', '-54.84'],
      ['Basic (prorated)', '16.45'],
      ['Basic', '30.00'],
    ]);
    expect(february).toMatchObject({ total: '-8.39', status: 'paid', amountDue: '0.00', amountPaid: '0.00', issuedAt: '2026-02-01T00:00:00Z' });
    expect(february.number).toMatch(/^INV-\d{6}$/);
    const customer = await get('/v1/customers/down');
    expect(customer.balances).toEqual([{ currency: 'USD', amountDue: '100.00', amountUncollectible: '0.00', credit: '8.39' }]);

    // The books: the credit is customer credit, not a negative receivable, and they balance.
    const aging = await get('/v1/reports/ar-aging?asOf=2026-02-01&currency=USD');
    expect(aging.customers).toEqual([expect.objectContaining({ customerId: 'down', total: '100.00' })]);
    const trial = await get('/v1/reports/trial-balance?asOf=2026-02-01&currency=USD');
    expect(trial.totalDebit).toBe(trial.totalCredit);
    expect(trial.accounts).toContainEqual({ account: 'customer_credit', debit: '0.00', credit: '8.39' });
    expect(trial.accounts).toContainEqual({ account: 'accounts_receivable', debit: '100.00', credit: '0.00' });

    // Running again at the same asOf bills nothing twice, and still answers a log position to read from.
    const again = await post('/v1/billing-runs', { asOf: '2026-02-01T00:00:00Z' });
    expect(again.body.invoiceIds).toEqual([]);
    expect(again.headers.get('x-log-position')).toMatch(/^[1-9]\d*$/);
  });

  it('applies that credit to the next invoice at issue', async () => {
    const [march] = await run('2026-03-01T00:00:00Z');
    expect(lineSummary(march)).toEqual([['Basic', '30.00']]);
    expect(march).toMatchObject({ total: '30.00', status: 'open', amountCredited: '8.39', amountDue: '21.61' });
    const customer = await get('/v1/customers/down');
    expect(customer.balances).toEqual([{ currency: 'USD', amountDue: '121.61', amountUncollectible: '0.00', credit: '0.00' }]);
    const trial = await get('/v1/reports/trial-balance?asOf=2026-03-01&currency=USD');
    expect(trial.totalDebit).toBe(trial.totalCredit);
    // Net balances: the credit granted on Feb 1 and applied on Mar 1 cancel out.
    expect(trial.accounts).toContainEqual({ account: 'customer_credit', debit: '0.00', credit: '0.00' });
    expect(trial.accounts).toContainEqual({ account: 'accounts_receivable', debit: '121.61', credit: '0.00' });
  });
});
