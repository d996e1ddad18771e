import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi, TestResponse } from '../../../../../test/support/api-app';

/**
 * Revenue recognition and the trial balance through the HTTP API on real Postgres: the worked
 * example of docs/reporting.md ("Revenue recognition", "Trial balance"), figure for figure.
 */
describeWithPostgres('revenue and trial balance reports through the HTTP API', () => {
  let api: TestApi;
  let database: TestDatabase;
  /** The last write of the example; every GET waits for the read models to reach it. */
  let last: TestResponse;
  let billedInvoiceId: string;

  const post = async (path: string, body: unknown): Promise<TestResponse> => {
    const response = await api.request('POST', path, { body });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    last = response;
    return response;
  };
  const get = (path: string) => api.request('GET', path, { headers: { 'x-min-position': last.headers.get('x-log-position') as string } });
  const revenue = async (from: string, to: string, currency = 'USD') => (await get(`/v1/reports/revenue?from=${from}&to=${to}&currency=${currency}`)).body;
  const trialBalance = async (asOf: string, currency = 'USD') => (await get(`/v1/reports/trial-balance?asOf=${asOf}&currency=${currency}`)).body;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_ledger');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    await post('/v1/customers', { id: 'rr-a', name: 'A', email: 'a@example.test', currency: 'USD', country: 'US' });
    await post('/v1/customers', { id: 'rr-e', name: 'E', email: 'e@example.test', currency: 'EUR', country: 'US' });
    await post('/v1/prices', { id: 'rr-seats', product: 'Seats', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '31.00' });
    await post('/v1/subscriptions', { id: 'rr-sub', customerId: 'rr-a', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'rr-seats', quantity: 1 }] });
    const run = await post('/v1/billing-runs', { asOf: '2026-01-01T00:00:00Z' });
    billedInvoiceId = run.body.invoiceIds[0];
    await post('/v1/invoices', {
      id: 'rr-m1',
      customerId: 'rr-a',
      lines: [
        { description: 'Setup', unitAmount: '10.00' },
        { description: 'Support', unitAmount: '60.00', periodStart: '2026-01-11T00:00:00Z', periodEnd: '2026-03-12T00:00:00Z' },
      ],
    });
    await post('/v1/invoices/rr-m1/issue', { issuedAt: '2026-01-11T09:00:00Z' });
    await post('/v1/payments', { customerId: 'rr-a', invoiceId: 'rr-m1', amount: '50.00', currency: 'USD', receivedAt: '2026-01-20T00:00:00Z', method: 'bank_transfer' });
    await post('/v1/credit-notes', { id: 'rr-cn', invoiceId: 'rr-m1', amount: '35.00', reason: 'outage', issuedAt: '2026-02-01T00:00:00Z' });
    await post('/v1/payments', { id: 'rr-p2', customerId: 'rr-a', invoiceId: billedInvoiceId, amount: '40.00', currency: 'USD', receivedAt: '2026-02-05T00:00:00Z', method: 'bank_transfer' });
    await post('/v1/payments/rr-p2/refund', { amount: '9.00', at: '2026-03-15T00:00:00Z', reason: 'overpaid' });
    await post('/v1/invoices', { id: 'rr-e1', customerId: 'rr-e', lines: [{ description: 'Audit', unitAmount: '100.00' }] });
    await post('/v1/invoices/rr-e1/issue', { issuedAt: '2026-01-15T00:00:00Z' });
    await post('/v1/invoices/rr-e1/void', { at: '2026-02-10T00:00:00Z', reason: 'issued by mistake' });
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  const accounts = (balances: Record<string, [string, string]>) =>
    ['accounts_receivable', 'cash', 'customer_credit', 'deferred_revenue', 'revenue', 'tax_payable'].map((account) => {
      const [debit, credit] = balances[account] ?? ['0.00', '0.00'];
      return { account, debit, credit };
    });

  it('bills the billing run’s month in advance and recognizes it by day', async () => {
    const invoice = (await get(`/v1/invoices/${billedInvoiceId}`)).body;
    expect(invoice.lines[0]).toMatchObject({ amount: '31.00', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-02-01T00:00:00Z' });
    expect(await revenue('2026-01-01', '2026-01-10')).toEqual({ billed: '31.00', recognized: '10.00', deferredAtEnd: '21.00' });
  });

  it('January: 101.00 billed, 62.00 recognized, 39.00 deferred', async () => {
    expect(await revenue('2026-01-01', '2026-01-31')).toEqual({ billed: '101.00', recognized: '62.00', deferredAtEnd: '39.00' });
    expect(await trialBalance('2026-01-31')).toEqual({
      accounts: accounts({
        accounts_receivable: ['51.00', '0.00'],
        cash: ['50.00', '0.00'],
        deferred_revenue: ['0.00', '39.00'],
        revenue: ['0.00', '62.00'],
      }),
      totalDebit: '101.00',
      totalCredit: '101.00',
    });
  });

  it('February: the credit note reverses half of rr-m1’s revenue, recognized and deferred', async () => {
    expect(await revenue('2026-02-01', '2026-02-28')).toEqual({ billed: '-35.00', recognized: '-1.50', deferredAtEnd: '5.50' });
    expect(await trialBalance('2026-02-28')).toEqual({
      accounts: accounts({
        cash: ['90.00', '0.00'],
        customer_credit: ['0.00', '24.00'],
        deferred_revenue: ['0.00', '5.50'],
        revenue: ['0.00', '60.50'],
      }),
      totalDebit: '90.00',
      totalCredit: '90.00',
    });
  });

  it('once every service period is over, all of the (credited) billing is revenue; the refund takes back the surplus credit', async () => {
    expect(await revenue('2026-01-01', '2026-03-31')).toEqual({ billed: '66.00', recognized: '66.00', deferredAtEnd: '0.00' });
    expect(await trialBalance('2026-03-31')).toEqual({
      accounts: accounts({ cash: ['81.00', '0.00'], customer_credit: ['0.00', '15.00'], revenue: ['0.00', '66.00'] }),
      totalDebit: '81.00',
      totalCredit: '81.00',
    });
    expect(await revenue('2025-01-01', '2025-12-31')).toEqual({ billed: '0.00', recognized: '0.00', deferredAtEnd: '0.00' });
  });

  it('keeps debits equal to credits at every date', async () => {
    for (const asOf of ['2025-12-31', '2026-01-01', '2026-01-11', '2026-01-20', '2026-02-01', '2026-02-05', '2026-03-11', '2026-03-12', '2027-01-01']) {
      const balance = await trialBalance(asOf);
      expect([asOf, balance.totalDebit]).toEqual([asOf, balance.totalCredit]);
    }
  });

  it('keeps currencies apart: the EUR invoice is revenue until its void reverses it', async () => {
    expect(await trialBalance('2026-01-31', 'EUR')).toEqual({
      accounts: accounts({ accounts_receivable: ['100.00', '0.00'], revenue: ['0.00', '100.00'] }),
      totalDebit: '100.00',
      totalCredit: '100.00',
    });
    expect(await revenue('2026-02-01', '2026-02-28', 'EUR')).toEqual({ billed: '-100.00', recognized: '-100.00', deferredAtEnd: '0.00' });
    expect(await trialBalance('2026-02-28', 'EUR')).toEqual({ accounts: accounts({}), totalDebit: '0.00', totalCredit: '0.00' });
  });

  it('refuses a missing currency, a bad date and to before from (400)', async () => {
    for (const path of [
      '/v1/reports/revenue?from=2026-01-01&to=2026-01-31',
      '/v1/reports/revenue?from=2026-02-01&to=2026-01-31&currency=USD',
      '/v1/reports/trial-balance?asOf=2026-02-30&currency=USD',
      '/v1/reports/trial-balance?currency=USD',
    ]) {
      expect([path, (await get(path)).status]).toEqual([path, 400]);
    }
  });
});
