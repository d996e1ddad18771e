import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi, TestResponse } from '../../../../test/support/api-app';

/**
 * AR aging, DSO and customer usage through the HTTP API, on invoices built with the real
 * commands: the worked example of docs/reporting.md ("AR aging", "DSO"), figure for figure.
 */
describeWithPostgres('receivables reports and customer usage through the HTTP API', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let api: TestApi;
    /** The last write of the example; every GET waits for the read models to reach it. */
    let last: TestResponse;

    const post = async (path: string, body: unknown): Promise<TestResponse> => {
      const response = await api.request('POST', path, { body });
      if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
      last = response;
      return response;
    };
    const get = (path: string) => api.request('GET', path, { headers: { 'x-min-position': last.headers.get('x-log-position') as string } });

    async function openInvoice(id: string, customerId: string, amount: string, issuedAt: string): Promise<void> {
      await post('/v1/invoices', { id, customerId, lines: [{ description: 'Consulting', unitAmount: amount }] });
      await post(`/v1/invoices/${id}/issue`, { issuedAt });
    }

    const payment = (customerId: string, invoiceId: string, amount: string, receivedAt: string) =>
      post('/v1/payments', { customerId, invoiceId, amount, currency: 'USD', receivedAt, method: 'bank_transfer' });

    beforeAll(async () => {
      api = await startTestApiOn(kind, 'accrual_reports');
      // docs/reporting.md, "AR aging": the worked example (net 30 everywhere).
      for (const [id, currency] of [['ar-a', 'USD'], ['ar-b', 'USD'], ['ar-c', 'EUR']]) {
        await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency, country: 'US' });
      }
      await openInvoice('ar-b1', 'ar-b', '200.00', '2025-11-15T09:00:00Z');
      await openInvoice('ar-b2', 'ar-b', '10.00', '2026-01-10T00:00:00Z');
      await openInvoice('ar-a1', 'ar-a', '100.00', '2026-01-01T00:00:00Z');
      await openInvoice('ar-c1', 'ar-c', '80.00', '2026-02-01T00:00:00Z');
      await openInvoice('ar-a2', 'ar-a', '50.00', '2026-02-15T00:00:00Z');
      await openInvoice('ar-a3', 'ar-a', '30.00', '2026-03-01T23:30:00Z');
      await post('/v1/invoices/ar-b2/mark-uncollectible', { at: '2026-02-20T00:00:00Z', reason: 'customer unreachable' });
      await post('/v1/credit-notes', { id: 'ar-cn', invoiceId: 'ar-a2', amount: '20.00', reason: 'outage', issuedAt: '2026-03-05T00:00:00Z' });
      await payment('ar-a', 'ar-a1', '40.00', '2026-03-10T12:00:00Z');
      await post('/v1/invoices/ar-a3/void', { at: '2026-03-20T00:00:00Z', reason: 'issued by mistake' });
      // Paid in full, recorded last but effective 2026-04-10: earlier reports still show it owed.
      await payment('ar-b', 'ar-b1', '200.00', '2026-04-10T00:00:00Z');
    });

    afterAll(async () => {
      await api?.close();
    });

    const zero = { current: '0.00', d1_30: '0.00', d31_60: '0.00', d61_90: '0.00', d90_plus: '0.00' };

    describe('AR aging', () => {
      it('as of 2026-03-15: a partial payment and a credit note count, a later payment and a later void do not', async () => {
        const response = await get('/v1/reports/ar-aging?asOf=2026-03-15&currency=USD');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({
          asOf: '2026-03-15',
          currency: 'USD',
          totals: { ...zero, current: '60.00', d31_60: '60.00', d61_90: '200.00', total: '320.00' },
          customers: [
            { customerId: 'ar-a', ...zero, current: '60.00', d31_60: '60.00', total: '120.00' },
            { customerId: 'ar-b', ...zero, d61_90: '200.00', total: '200.00' },
          ],
        });
      });

      it('as of 2026-03-01: what the books said that day, before the payment and the credit note', async () => {
        const response = await get('/v1/reports/ar-aging?asOf=2026-03-01&currency=USD');
        expect(response.body.totals).toEqual({ ...zero, current: '80.00', d1_30: '100.00', d61_90: '200.00', total: '380.00' });
      });

      it('as of 2026-02-10: the write-off still counts before its day', async () => {
        const response = await get('/v1/reports/ar-aging?asOf=2026-02-10&currency=USD');
        expect(response.body.customers).toEqual([
          { customerId: 'ar-a', ...zero, d1_30: '100.00', total: '100.00' },
          { customerId: 'ar-b', ...zero, d1_30: '10.00', d31_60: '200.00', total: '210.00' },
        ]);
      });

      it('as of 2026-03-20 the void is effective; as of 2026-04-30 the paid invoice is gone too', async () => {
        expect((await get('/v1/reports/ar-aging?asOf=2026-03-20&currency=USD')).body.totals.total).toBe('290.00');
        const later = await get('/v1/reports/ar-aging?asOf=2026-04-30&currency=USD');
        expect(later.body.totals).toEqual({ ...zero, d31_60: '30.00', d61_90: '60.00', total: '90.00' });
        expect(later.body.customers).toEqual([{ customerId: 'ar-a', ...zero, d31_60: '30.00', d61_90: '60.00', total: '90.00' }]);
      });

      it('keeps currencies apart', async () => {
        const euro = await get('/v1/reports/ar-aging?asOf=2026-03-15&currency=EUR');
        expect(euro.body).toEqual({
          asOf: '2026-03-15',
          currency: 'EUR',
          totals: { ...zero, d1_30: '80.00', total: '80.00' },
          customers: [{ customerId: 'ar-c', ...zero, d1_30: '80.00', total: '80.00' }],
        });
        const before = await get('/v1/reports/ar-aging?asOf=2025-11-14&currency=USD');
        expect(before.body).toMatchObject({ totals: { ...zero, total: '0.00' }, customers: [] });
      });

      it('counts customer credit applied at issue as paid at issue, and a payment received before issue from the issue day', async () => {
        await post('/v1/customers', { id: 'ar-d', name: 'ar-d', email: 'ar-d@example.test', currency: 'GBP', country: 'GB' });
        const credit = await post('/v1/payments', { customerId: 'ar-d', amount: '25.00', currency: 'GBP', receivedAt: '2026-02-01T00:00:00Z', method: 'bank_transfer' });
        expect(credit.body).toMatchObject({ creditAmount: '25.00' });
        await openInvoice('ar-d1', 'ar-d', '100.00', '2026-03-01T00:00:00Z');
        await post('/v1/payments', { customerId: 'ar-d', invoiceId: 'ar-d1', amount: '30.00', currency: 'GBP', receivedAt: '2026-02-25T00:00:00Z', method: 'bank_transfer' });
        expect((await get('/v1/reports/ar-aging?asOf=2026-02-28&currency=GBP')).body.customers).toEqual([]);
        const aging = await get('/v1/reports/ar-aging?asOf=2026-03-01&currency=GBP');
        expect(aging.body.customers).toEqual([{ customerId: 'ar-d', ...zero, current: '45.00', total: '45.00' }]);
      });

      it('refuses a missing or unknown currency and a bad date (400)', async () => {
        for (const query of ['asOf=2026-03-15', 'asOf=2026-03-15&currency=ABC', 'asOf=2026-02-30&currency=USD', 'currency=USD']) {
          const response = await get(`/v1/reports/ar-aging?${query}`);
          expect([query, response.status]).toEqual([query, 400]);
        }
      });
    });

    describe('DSO', () => {
      it('[2026-02-01, 2026-03-31]: 290.00 owed over 50.00 billed (the void is no sale) times 59 days', async () => {
        const response = await get('/v1/reports/dso?from=2026-02-01&to=2026-03-31&currency=USD');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ from: '2026-02-01', to: '2026-03-31', days: 59, creditSales: '50.00', endingReceivables: '290.00', dso: '342.20' });
      });

      it('is null when nothing was billed in the period', async () => {
        const response = await get('/v1/reports/dso?from=2026-03-02&to=2026-03-31&currency=USD');
        expect(response.body).toEqual({ from: '2026-03-02', to: '2026-03-31', days: 30, creditSales: '0.00', endingReceivables: '290.00', dso: null });
      });

      it('refuses to before from and a missing currency (400)', async () => {
        expect((await get('/v1/reports/dso?from=2026-03-31&to=2026-03-01&currency=USD')).status).toBe(400);
        expect((await get('/v1/reports/dso?from=2026-03-01&to=2026-03-31')).status).toBe(400);
      });
    });

    describe('customer usage', () => {
      it('aggregates a meter over [from, to); 404 for an unknown customer, 400 for bad parameters', async () => {
        await post('/v1/meters', { code: 'report_calls', name: 'Calls', aggregation: 'sum' });
        await post('/v1/usage/batch', {
          events: [
            { id: 'ru1', customerId: 'ar-a', meterCode: 'report_calls', quantity: '1.5', timestamp: '2026-03-01T00:00:00Z' },
            { id: 'ru2', customerId: 'ar-a', meterCode: 'report_calls', quantity: 2, timestamp: '2026-03-31T23:59:59Z' },
            { id: 'ru3', customerId: 'ar-a', meterCode: 'report_calls', quantity: 7, timestamp: '2026-04-01T00:00:00Z' },
          ],
        });
        const window = 'meterCode=report_calls&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z';
        const usage = await get(`/v1/customers/ar-a/usage?${window}`);
        expect(usage.status).toBe(200);
        expect(usage.body).toEqual({ meterCode: 'report_calls', from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', value: '3.5' });
        expect((await get(`/v1/customers/ar-b/usage?${window}`)).body.value).toBe('0');
        expect((await get(`/v1/customers/nobody/usage?${window}`)).status).toBe(404);
        for (const query of ['from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', 'meterCode=nope&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', 'meterCode=report_calls&from=2026-03-01&to=2026-04-01T00:00:00Z', 'meterCode=report_calls&from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z']) {
          expect([query, (await get(`/v1/customers/ar-a/usage?${query}`)).status]).toEqual([query, 400]);
        }
      });
    });
  });
});
