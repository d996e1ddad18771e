import { EVENTS_TABLE } from '@accrual/event-store';
import { deterministicUuid } from '@accrual/platform';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi, TestResponse } from '../../../../test/support/api-app';

/**
 * Payments, refunds, credit notes, customer credit, void and uncollectible, end to end on real
 * Postgres through the HTTP API (docs/billing.md, "Payments, credit notes and customer credit").
 * Each test has its own customer, since a payment without an invoice goes to all its open invoices.
 */
describeWithPostgres('payments, credit notes and customer credit through the HTTP API', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApiOn(kind, 'accrual_payments');
  });

  afterAll(async () => {
    await api?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => api.request('POST', path, { body, headers });
  /** A GET that first waits for the read models to apply the answer it follows. */
  const get = (path: string, after: TestResponse) =>
    api.request('GET', path, { headers: { 'x-min-position': after.headers.get('x-log-position') as string } });
  /** Every event in the log, counted in the table itself (exact, whatever is still committing). */
  const eventCount = async () =>
    (await api.runtime.sql.query<{ count: string }>(`select count(*)::text as count from ${EVENTS_TABLE}`)).rows[0].count;

  async function customer(id: string, currency = 'USD'): Promise<void> {
    expect((await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency, country: 'US' })).status).toBe(201);
  }

  /** A one-off invoice of one line, issued at `issuedAt` (due 30 days later). */
  async function openInvoice(id: string, customerId: string, amount: string, issuedAt = '2026-03-01T00:00:00Z'): Promise<TestResponse> {
    expect((await post('/v1/invoices', { id, customerId, lines: [{ description: 'Consulting', unitAmount: amount }] })).status).toBe(201);
    const issued = await post(`/v1/invoices/${id}/issue`, { issuedAt });
    expect(issued.status).toBe(200);
    return issued;
  }

  const payment = (overrides: Record<string, unknown>) => ({
    amount: '100.00',
    currency: 'USD',
    receivedAt: '2026-03-10T00:00:00Z',
    method: 'bank_transfer',
    ...overrides,
  });

  describe('payments', () => {
    it('pays a named invoice exactly: the invoice is paid', async () => {
      await customer('pay-exact');
      await openInvoice('inv-exact', 'pay-exact', '100.00');
      const paid = await post('/v1/payments', payment({ id: 'p-exact', customerId: 'pay-exact', invoiceId: 'inv-exact', reference: 'wire 1' }));
      expect(paid.status).toBe(201);
      expect(paid.body).toMatchObject({
        id: 'p-exact',
        status: 'settled',
        amount: '100.00',
        currency: 'USD',
        reference: 'wire 1',
        allocations: [{ invoiceId: 'inv-exact', amount: '100.00' }],
        creditAmount: '0.00',
        amountRefunded: '0.00',
      });
      const invoice = await get('/v1/invoices/inv-exact', paid);
      expect(invoice.body).toMatchObject({ status: 'paid', total: '100.00', amountPaid: '100.00', amountCredited: '0.00', amountDue: '0.00' });
      expect((await get('/v1/payments/p-exact', paid)).body).toEqual(paid.body);
      const events = await api.runtime.eventStore.readStream('payment-p-exact');
      expect(events.map((event) => event.type)).toEqual(['PaymentReceived', 'PaymentSettled']);
    });

    it('pays a named invoice partly: it stays open with less due', async () => {
      await customer('pay-part');
      await openInvoice('inv-part', 'pay-part', '100.00');
      const paid = await post('/v1/payments', payment({ customerId: 'pay-part', invoiceId: 'inv-part', amount: '30' }));
      expect(paid.status).toBe(201);
      expect(paid.body.id).toMatch(/^pay_/);
      expect((await get('/v1/invoices/inv-part', paid)).body).toMatchObject({ status: 'open', amountPaid: '30.00', amountDue: '70.00' });
    });

    it('turns a surplus into customer credit, which the next billing run’s invoice uses', async () => {
      await customer('pay-credit');
      await openInvoice('inv-credit', 'pay-credit', '60.00');
      const paid = await post('/v1/payments', payment({ customerId: 'pay-credit', invoiceId: 'inv-credit', amount: '100.00' }));
      expect(paid.body).toMatchObject({ allocations: [{ invoiceId: 'inv-credit', amount: '60.00' }], creditAmount: '40.00' });
      const withCredit = await get('/v1/customers/pay-credit', paid);
      expect(withCredit.body.balances).toEqual([{ currency: 'USD', amountDue: '0.00', amountUncollectible: '0.00', credit: '40.00' }]);

      await post('/v1/prices', { id: 'credit-seats', product: 'Seats', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '25.00' });
      expect((await post('/v1/subscriptions', { id: 'sub-credit', customerId: 'pay-credit', startDate: '2026-04-01T00:00:00Z', items: [{ priceId: 'credit-seats', quantity: 1 }] })).status).toBe(201);
      const run = await post('/v1/billing-runs', { asOf: '2026-04-01T00:00:00Z' });
      expect(run.status).toBe(200);
      const [invoiceId] = run.body.invoiceIds as string[];
      const invoice = await get(`/v1/invoices/${invoiceId}`, run);
      expect(invoice.body).toMatchObject({ status: 'paid', total: '25.00', creditApplied: '25.00', amountCredited: '25.00', amountDue: '0.00' });
      expect((await get('/v1/customers/pay-credit', run)).body.balances).toEqual([
        { currency: 'USD', amountDue: '0.00', amountUncollectible: '0.00', credit: '15.00' },
      ]);

      // The next invoice takes the rest of the credit and stays open for the remainder.
      const next = await openInvoice('inv-credit-2', 'pay-credit', '20.00', '2026-04-02T00:00:00Z');
      expect(next.body).toMatchObject({ status: 'open', amountCredited: '15.00', amountDue: '5.00' });
      const customerEvents = (await api.runtime.eventStore.readStream('customer-pay-credit')).map((event) => event.type);
      expect(customerEvents).toEqual(['CustomerCreated', 'CustomerCreditGranted', 'CustomerCreditApplied', 'CustomerCreditApplied']);
    });

    it('without an invoice, pays open invoices oldest due date first, then credit', async () => {
      await customer('pay-oldest');
      // Created first but due last: the order is by due date, not by creation.
      await openInvoice('inv-late', 'pay-oldest', '50.00', '2026-03-05T00:00:00Z');
      await openInvoice('inv-early', 'pay-oldest', '30.00', '2026-02-01T00:00:00Z');
      const paid = await post('/v1/payments', payment({ customerId: 'pay-oldest', amount: '40.00' }));
      expect(paid.status).toBe(201);
      expect(paid.body.allocations).toEqual([
        { invoiceId: 'inv-early', amount: '30.00' },
        { invoiceId: 'inv-late', amount: '10.00' },
      ]);
      expect((await get('/v1/invoices/inv-early', paid)).body).toMatchObject({ status: 'paid', amountDue: '0.00' });
      expect((await get('/v1/invoices/inv-late', paid)).body).toMatchObject({ status: 'open', amountDue: '40.00' });

      const rest = await post('/v1/payments', payment({ customerId: 'pay-oldest', amount: '45.00' }));
      expect(rest.body).toMatchObject({ allocations: [{ invoiceId: 'inv-late', amount: '40.00' }], creditAmount: '5.00' });
      const listed = await api.request('GET', '/v1/payments?customerId=pay-oldest', { headers: { 'x-min-position': rest.headers.get('x-log-position') as string } });
      expect(listed.body.data.map((entry: { id: string }) => entry.id)).toEqual([rest.body.id, paid.body.id]);
    });

    it('sends a payment for a paid invoice to customer credit', async () => {
      await customer('pay-paid');
      await openInvoice('inv-paid', 'pay-paid', '10.00');
      await post('/v1/payments', payment({ customerId: 'pay-paid', invoiceId: 'inv-paid', amount: '10.00' }));
      const again = await post('/v1/payments', payment({ customerId: 'pay-paid', invoiceId: 'inv-paid', amount: '10.00' }));
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ allocations: [], creditAmount: '10.00' });
    });

    it('refuses what the rules forbid, appending nothing', async () => {
      await customer('pay-refuse');
      await customer('pay-other');
      await openInvoice('inv-refuse-other', 'pay-other', '10.00');
      expect((await post('/v1/invoices', { id: 'inv-refuse-draft', customerId: 'pay-refuse', lines: [{ description: 'x', unitAmount: '5.00' }] })).status).toBe(201);
      const before = await eventCount();
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ customerId: 'pay-refuse', currency: 'EUR' }, 422, 'currency-mismatch'],
        [{ customerId: 'pay-refuse', invoiceId: 'inv-refuse-other' }, 422, 'invoice-customer-mismatch'],
        [{ customerId: 'pay-refuse', invoiceId: 'inv-refuse-draft' }, 409, 'invoice-not-open'],
        [{ customerId: 'pay-refuse', invoiceId: 'inv-nope' }, 404, 'invoice-not-found'],
        [{ customerId: 'nobody' }, 404, 'customer-not-found'],
        [{ customerId: 'pay-refuse', amount: '0.00' }, 400, 'invalid-input'],
        [{ customerId: 'pay-refuse', amount: '1.001' }, 400, 'invalid-input'],
        [{ customerId: 'pay-refuse', amount: 10 }, 400, 'invalid-input'],
        [{ customerId: 'pay-refuse', receivedAt: '2999-01-01T00:00:00Z' }, 400, 'invalid-input'],
        [{ customerId: 'pay-refuse', method: undefined }, 400, 'invalid-input'],
      ];
      for (const [overrides, status, type] of cases) {
        const answer = await post('/v1/payments', payment(overrides));
        expect([answer.status, answer.body.type]).toEqual([status, type]);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      expect(await eventCount()).toBe(before);
    });

    it('is retry-safe: the same Idempotency-Key, or the same payment id and body, appends nothing new', async () => {
      await customer('pay-retry');
      await openInvoice('inv-retry', 'pay-retry', '80.00');
      const body = payment({ id: 'p-retry', customerId: 'pay-retry', amount: '100.00' });
      const first = await post('/v1/payments', body, { 'idempotency-key': 'k-p-retry' });
      expect(first.status).toBe(201);
      const after = await eventCount();

      const replayed = await post('/v1/payments', body, { 'idempotency-key': 'k-p-retry' });
      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.body).toEqual(first.body);

      const sameId = await post('/v1/payments', { ...body, amount: '100' });
      expect(sameId.status).toBe(201);
      expect(sameId.body).toEqual(first.body);
      expect(await eventCount()).toBe(after);

      const otherBody = await post('/v1/payments', { ...body, amount: '99.00' });
      expect([otherBody.status, otherBody.body.type]).toEqual([409, 'payment-exists']);
      expect(await eventCount()).toBe(after);
    });

    it('completes a payment that a crash stopped after PaymentReceived, when the request is retried', async () => {
      await customer('pay-crash');
      await openInvoice('inv-crash', 'pay-crash', '70.00');
      // Step 1 only, as a process that died right after it would have left it.
      const appended = await api.runtime.eventStore.append(
        'payment-p-crash',
        [
          {
            id: deterministicUuid('test:p-crash'),
            type: 'PaymentReceived',
            data: {
              id: 'p-crash',
              customerId: 'pay-crash',
              amount: '100.00',
              currency: 'USD',
              receivedAt: '2026-03-10T00:00:00Z',
              method: 'bank_transfer',
              reference: null,
              invoiceId: 'inv-crash',
              allocations: [{ invoiceId: 'inv-crash', amount: '70.00' }],
              creditAmount: '30.00',
            },
            metadata: { actor: 'test', recordedAt: new Date().toISOString(), schemaVersion: 1 },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
      const pending = await api.request('GET', '/v1/payments/p-crash', { headers: { 'x-min-position': appended.position.toString() } });
      expect(pending.body).toMatchObject({ status: 'pending' });

      const retried = await post('/v1/payments', payment({ id: 'p-crash', customerId: 'pay-crash', invoiceId: 'inv-crash' }));
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ status: 'settled', allocations: [{ invoiceId: 'inv-crash', amount: '70.00' }], creditAmount: '30.00' });
      expect((await get('/v1/invoices/inv-crash', retried)).body).toMatchObject({ status: 'paid' });
      expect((await get('/v1/customers/pay-crash', retried)).body.balances[0]).toMatchObject({ credit: '30.00' });
    });
  });

  describe('refunds', () => {
    it('refunds the credit a payment made first, then money applied to invoices (which stay paid), up to the payment', async () => {
      await customer('refund-1');
      await openInvoice('inv-refund', 'refund-1', '60.00');
      const paid = await post('/v1/payments', payment({ id: 'p-refund', customerId: 'refund-1', invoiceId: 'inv-refund', amount: '100.00' }));
      expect(paid.body.creditAmount).toBe('40.00');

      const part = await post('/v1/payments/p-refund/refund', { amount: '25.00', at: '2026-03-11T00:00:00Z', reason: 'overpaid' });
      expect(part.status).toBe(200);
      expect(part.body).toMatchObject({
        amountRefunded: '25.00',
        refunds: [{ id: 'p-refund-refund-1', amount: '25.00', at: '2026-03-11T00:00:00Z', reason: 'overpaid', creditToRevoke: '25.00' }],
      });
      expect((await get('/v1/customers/refund-1', part)).body.balances[0]).toMatchObject({ credit: '15.00' });

      const before = await eventCount();
      const tooMuch = await post('/v1/payments/p-refund/refund', { amount: '75.01', at: '2026-03-12T00:00:00Z', reason: 'more' });
      expect([tooMuch.status, tooMuch.body.type]).toEqual([422, 'refund-exceeds-payment']);
      expect(await eventCount()).toBe(before);

      const rest = await post('/v1/payments/p-refund/refund', { at: '2026-03-12T00:00:00Z', reason: 'closing the account' });
      expect(rest.status).toBe(200);
      expect(rest.body).toMatchObject({ amountRefunded: '100.00' });
      expect(rest.body.refunds[1]).toMatchObject({ amount: '75.00', creditToRevoke: '15.00' });
      expect((await get('/v1/customers/refund-1', rest)).body.balances[0]).toMatchObject({ credit: '0.00' });
      expect((await get('/v1/invoices/inv-refund', rest)).body).toMatchObject({ status: 'paid', amountPaid: '60.00' });

      // The same refund again (same at and reason) is a retry: nothing new.
      const afterRest = await eventCount();
      const retried = await post('/v1/payments/p-refund/refund', { at: '2026-03-12T00:00:00Z', reason: 'closing the account' });
      expect(retried.status).toBe(200);
      expect(retried.body.refunds).toHaveLength(2);
      expect(await eventCount()).toBe(afterRest);

      const nothingLeft = await post('/v1/payments/p-refund/refund', { at: '2026-03-13T00:00:00Z', reason: 'again' });
      expect([nothingLeft.status, nothingLeft.body.type]).toEqual([422, 'refund-exceeds-payment']);
      const missing = await post('/v1/payments/p-nope/refund', { at: '2026-03-13T00:00:00Z', reason: 'x' });
      expect([missing.status, missing.body.type]).toEqual([404, 'payment-not-found']);
    });
  });

  describe('credit notes', () => {
    it('below the amount due lowers it; beyond it, the rest becomes customer credit', async () => {
      await customer('cn-1');
      await openInvoice('inv-cn', 'cn-1', '100.00');
      const below = await post('/v1/credit-notes', { id: 'cn-below', invoiceId: 'inv-cn', amount: '30.00', reason: 'outage', issuedAt: '2026-03-05T00:00:00Z' });
      expect(below.status).toBe(201);
      expect(below.body).toMatchObject({ id: 'cn-below', status: 'issued', amount: '30.00', amountApplied: '30.00', creditAmount: '0.00', customerId: 'cn-1' });
      expect((await get('/v1/invoices/inv-cn', below)).body).toMatchObject({ status: 'open', amountCredited: '30.00', amountDue: '70.00' });

      await post('/v1/payments', payment({ customerId: 'cn-1', invoiceId: 'inv-cn', amount: '50.00' }));
      const beyond = await post('/v1/credit-notes', { id: 'cn-beyond', invoiceId: 'inv-cn', amount: '45.00', reason: 'goodwill', issuedAt: '2026-03-12T00:00:00Z' });
      expect(beyond.body).toMatchObject({ amount: '45.00', amountApplied: '20.00', creditAmount: '25.00' });
      expect((await get('/v1/invoices/inv-cn', beyond)).body).toMatchObject({ status: 'paid', amountPaid: '50.00', amountCredited: '50.00', amountDue: '0.00' });
      expect((await get('/v1/customers/cn-1', beyond)).body.balances[0]).toMatchObject({ credit: '25.00' });
      expect((await get('/v1/credit-notes/cn-beyond', beyond)).body).toEqual(beyond.body);
      const listed = await get('/v1/credit-notes?invoiceId=inv-cn', beyond);
      expect(listed.body.data.map((note: { id: string }) => note.id)).toEqual(['cn-beyond', 'cn-below']);

      const before = await eventCount();
      const exceeds = await post('/v1/credit-notes', { invoiceId: 'inv-cn', amount: '25.01', reason: 'x', issuedAt: '2026-03-12T00:00:00Z' });
      expect([exceeds.status, exceeds.body.type]).toEqual([422, 'credit-note-exceeds-invoice']);
      const retried = await post('/v1/credit-notes', { id: 'cn-beyond', invoiceId: 'inv-cn', amount: '45.00', reason: 'goodwill', issuedAt: '2026-03-12T00:00:00Z' });
      expect(retried.status).toBe(201);
      expect(retried.body).toEqual(beyond.body);
      const reused = await post('/v1/credit-notes', { id: 'cn-beyond', invoiceId: 'inv-cn', amount: '1.00', reason: 'goodwill', issuedAt: '2026-03-12T00:00:00Z' });
      expect([reused.status, reused.body.type]).toEqual([409, 'credit-note-exists']);
      expect(await eventCount()).toBe(before);
    });

    it('refuses a draft invoice and an unknown one', async () => {
      await customer('cn-2');
      await post('/v1/invoices', { id: 'inv-cn-draft', customerId: 'cn-2', lines: [{ description: 'x', unitAmount: '5.00' }] });
      const draft = await post('/v1/credit-notes', { invoiceId: 'inv-cn-draft', amount: '1.00', reason: 'x', issuedAt: '2026-03-12T00:00:00Z' });
      expect([draft.status, draft.body.type]).toEqual([409, 'invoice-not-open']);
      const unknown = await post('/v1/credit-notes', { invoiceId: 'inv-cn-nope', amount: '1.00', reason: 'x', issuedAt: '2026-03-12T00:00:00Z' });
      expect([unknown.status, unknown.body.type]).toEqual([404, 'invoice-not-found']);
    });
  });

  describe('void and uncollectible', () => {
    it('voids an open invoice; refuses a paid one, a draft and a void one (409)', async () => {
      await customer('void-1');
      await openInvoice('inv-void', 'void-1', '10.00');
      const voided = await post('/v1/invoices/inv-void/void', { at: '2026-03-05T00:00:00Z', reason: 'issued by mistake' });
      expect(voided.status).toBe(200);
      expect(voided.body).toMatchObject({ id: 'inv-void', status: 'void', voidedAt: '2026-03-05T00:00:00Z', statusReason: 'issued by mistake' });
      expect((await get('/v1/invoices/inv-void', voided)).body).toMatchObject({ status: 'void' });

      await openInvoice('inv-void-paid', 'void-1', '10.00');
      await post('/v1/payments', payment({ customerId: 'void-1', invoiceId: 'inv-void-paid', amount: '10.00' }));
      await post('/v1/invoices', { id: 'inv-void-draft', customerId: 'void-1', lines: [{ description: 'x', unitAmount: '5.00' }] });
      const before = await eventCount();
      for (const [id, type] of [
        ['inv-void-paid', 'invoice-paid'],
        ['inv-void-draft', 'invoice-not-open'],
        ['inv-void', 'invoice-not-open'],
        ['inv-void-nope', 'invoice-not-found'],
      ]) {
        const refused = await post(`/v1/invoices/${id}/void`, { at: '2026-03-06T00:00:00Z', reason: 'x' });
        expect([refused.body.type, refused.status]).toEqual([type, type === 'invoice-not-found' ? 404 : 409]);
      }
      const future = await post('/v1/invoices/inv-void-draft/void', { at: '2999-01-01T00:00:00Z', reason: 'x' });
      expect(future.status).toBe(400);
      expect(await eventCount()).toBe(before);
    });

    it('gives back the customer credit applied at issue when voiding', async () => {
      await customer('void-credit');
      await post('/v1/payments', payment({ customerId: 'void-credit', amount: '8.00' }));
      const issued = await openInvoice('inv-void-credit', 'void-credit', '10.00');
      expect(issued.body).toMatchObject({ amountCredited: '8.00', amountDue: '2.00' });
      const voided = await post('/v1/invoices/inv-void-credit/void', { at: '2026-03-05T00:00:00Z', reason: 'wrong customer' });
      expect(voided.status).toBe(200);
      expect((await get('/v1/customers/void-credit', voided)).body.balances[0]).toMatchObject({ amountDue: '0.00', credit: '8.00' });
    });

    it('writes an open invoice off; it stays due, and a later payment still pays it', async () => {
      await customer('bad-debt');
      await openInvoice('inv-bad', 'bad-debt', '40.00');
      const writtenOff = await post('/v1/invoices/inv-bad/mark-uncollectible', { at: '2026-05-01T00:00:00Z', reason: 'customer insolvent' });
      expect(writtenOff.status).toBe(200);
      expect(writtenOff.body).toMatchObject({ status: 'uncollectible', amountDue: '40.00', markedUncollectibleAt: '2026-05-01T00:00:00Z' });
      expect((await get('/v1/customers/bad-debt', writtenOff)).body.balances[0]).toMatchObject({ amountDue: '0.00', amountUncollectible: '40.00' });
      expect((await get('/v1/invoices?customerId=bad-debt&status=uncollectible', writtenOff)).body.data).toHaveLength(1);

      const again = await post('/v1/invoices/inv-bad/mark-uncollectible', { at: '2026-05-02T00:00:00Z', reason: 'x' });
      expect([again.status, again.body.type]).toEqual([409, 'invoice-not-open']);

      // A payment without an invoice leaves the write-off alone; naming it pays it.
      const unnamed = await post('/v1/payments', payment({ customerId: 'bad-debt', amount: '5.00' }));
      expect(unnamed.body).toMatchObject({ allocations: [], creditAmount: '5.00' });
      const named = await post('/v1/payments', payment({ customerId: 'bad-debt', invoiceId: 'inv-bad', amount: '40.00' }));
      expect((await get('/v1/invoices/inv-bad', named)).body).toMatchObject({ status: 'paid', amountDue: '0.00' });
    });
  });
});
});
