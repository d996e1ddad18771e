import { Money } from '@accrual/money';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { fold } from '../shared/decider';
import { fieldsOf, given } from '../testing/decider-spec';
import { invoiceDecider, InvoiceEvent, InvoiceView } from '../invoices/invoice';
import {
  amountTakenBy,
  applyPaymentShare,
  compareOldestDueFirst,
  PAYMENT_ALLOCATIONS_MAX,
  PaymentContext,
  PaymentEvent,
  paymentDecider,
  PaymentReceived,
  PaymentRefunded,
  PaymentSettled,
  PaymentView,
  parsePaymentRequest,
  parseRefundRequest,
  planPaymentAllocation,
  ReceivePayment,
  receivePayment,
  refundPayment,
  settlePayment,
} from './payment';
import { customerCreated, draftInvoiceEvents, invoiceOf, issuedInvoiceEvents, NOW } from './testing/settlement-fixtures';

const usd = (amount: string) => Money.of(amount, 'USD');
const body: ReceivePayment = {
  id: 'pay_1',
  customerId: 'cus_1',
  amount: '100.00',
  currency: 'USD',
  receivedAt: '2026-04-01T00:00:00Z',
  method: 'bank_transfer',
};
const request = (overrides: Partial<ReceivePayment> = {}) => parsePaymentRequest({ ...body, ...overrides }, NOW);
const open = (id: string, total: string, issuedAt: string, number: string, paymentTermsDays = 30) =>
  invoiceOf(issuedInvoiceEvents({ id, total, issuedAt, number, paymentTermsDays }));
const context = (overrides: Partial<PaymentContext> = {}): PaymentContext => ({
  customer: customerCreated.data,
  invoice: null,
  openInvoices: [],
  ...overrides,
});

const received = (overrides: Partial<PaymentReceived['data']> = {}): PaymentReceived => ({
  type: 'PaymentReceived',
  data: {
    id: 'pay_1',
    customerId: 'cus_1',
    amount: '100.00',
    currency: 'USD',
    receivedAt: '2026-04-01T00:00:00Z',
    method: 'bank_transfer',
    reference: null,
    invoiceId: null,
    allocations: [],
    creditAmount: '100.00',
    ...overrides,
  },
});
const settled = (allocations: PaymentSettled['data']['allocations'], creditAmount: string): PaymentSettled => ({
  type: 'PaymentSettled',
  data: { paymentId: 'pay_1', customerId: 'cus_1', currency: 'USD', allocations, creditAmount },
});
const refunded = (n: number, amount: string, creditToRevoke: string, reason = 'duplicate charge'): PaymentRefunded => ({
  type: 'PaymentRefunded',
  data: {
    paymentId: 'pay_1',
    customerId: 'cus_1',
    refundId: `pay_1-refund-${n}`,
    amount,
    currency: 'USD',
    at: '2026-04-10T00:00:00Z',
    reason,
    creditToRevoke,
  },
});
const paymentOf = (events: PaymentEvent[]) => fold(paymentDecider, events) as PaymentView;

describe('parsePaymentRequest', () => {
  it('keeps a valid request, with the amount as Money in the payment currency', () => {
    const parsed = request({ reference: 'wire 42', invoiceId: 'inv_1' });
    expect(parsed).toMatchObject({ id: 'pay_1', method: 'bank_transfer', reference: 'wire 42', invoiceId: 'inv_1' });
    expect(parsed.amount.toString()).toBe('100.00');
    expect(request({ amount: '7' }).amount.toString()).toBe('7.00');
    expect(request({ amount: '1500', currency: 'JPY' }).amount.toString()).toBe('1500');
  });

  it.each([
    ['amount', { amount: '0' }],
    ['amount', { amount: '-5.00' }],
    ['amount', { amount: '1.005' }],
    ['amount', { amount: 10 }],
    ['amount', { amount: '12.5', currency: 'JPY' }],
    ['amount', { amount: '1e3' }],
    ['currency', { currency: 'usd' }],
    ['currency', { currency: 'XXX' }],
    ['receivedAt', { receivedAt: '2026-06-01T00:05:01Z' }],
    ['receivedAt', { receivedAt: '2026-04-01' }],
    ['method', { method: '' }],
    ['method', { method: 'x'.repeat(65) }],
    ['reference', { reference: 42 }],
    ['invoiceId', { invoiceId: 7 }],
  ] as Array<[string, Partial<ReceivePayment>]>)('blames %s for %j', (field, overrides) => {
    const error = given(paymentDecider).when(() => [...receivePayment(request(overrides), { status: 'none' }, context())]).thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual([field]);
  });

  it('allows backdating', () => {
    expect(request({ receivedAt: '2019-01-01T00:00:00Z' }).receivedAt).toBeLessThan(NOW);
  });
});

describe('planPaymentAllocation', () => {
  const older = open('inv_a', '30.00', '2026-01-01T00:00:00Z', 'INV-000001');
  const newer = open('inv_b', '50.00', '2026-02-01T00:00:00Z', 'INV-000002');
  const plan = (amount: string, invoices: InvoiceView[]) => {
    const result = planPaymentAllocation(usd(amount), invoices);
    return { allocations: result.allocations, creditAmount: result.creditAmount.toString() };
  };

  it('pays the oldest due date first, whatever order the invoices come in', () => {
    expect(plan('40.00', [newer, older])).toEqual({
      allocations: [
        { invoiceId: 'inv_a', amount: '30.00' },
        { invoiceId: 'inv_b', amount: '10.00' },
      ],
      creditAmount: '0.00',
    });
  });

  it('turns the surplus into credit', () => {
    expect(plan('100.00', [older, newer])).toEqual({
      allocations: [
        { invoiceId: 'inv_a', amount: '30.00' },
        { invoiceId: 'inv_b', amount: '50.00' },
      ],
      creditAmount: '20.00',
    });
    expect(plan('5.00', [])).toEqual({ allocations: [], creditAmount: '5.00' });
  });

  it('stops when the money runs out', () => {
    expect(plan('30.00', [older, newer]).allocations).toEqual([{ invoiceId: 'inv_a', amount: '30.00' }]);
  });

  it('orders equal due dates by issue instant, then number', () => {
    const a = open('inv_a', '10.00', '2026-01-01T12:00:00Z', 'INV-000002', 30);
    const b = open('inv_b', '10.00', '2026-01-01T08:00:00Z', 'INV-000003', 30);
    const c = open('inv_c', '10.00', '2026-01-01T08:00:00Z', 'INV-000001', 30);
    // Issued a month earlier with longer terms: due the same day (2026-01-31), issued first.
    const d = open('inv_d', '10.00', '2025-12-01T00:00:00Z', 'INV-000009', 61);
    const e = open('inv_e', '10.00', '2026-01-02T00:00:00Z', 'INV-000000', 30);
    expect([a, b, c, d, e].sort(compareOldestDueFirst).map((invoice) => invoice.id)).toEqual(['inv_d', 'inv_c', 'inv_b', 'inv_a', 'inv_e']);
  });

  it('skips invoices that take no payment (paid, void, draft)', () => {
    const draft = invoiceOf(draftInvoiceEvents({ id: 'inv_d', total: '10.00' }));
    const paid = { ...older, status: 'paid' as const, amountDue: '0.00' };
    expect(plan('10.00', [draft, paid]).creditAmount).toBe('10.00');
  });

  it(`spreads over at most ${PAYMENT_ALLOCATIONS_MAX} invoices`, () => {
    const many = Array.from({ length: PAYMENT_ALLOCATIONS_MAX + 5 }, (_, index) => ({ ...older, id: `inv_${index}`, amountDue: '1.00' }));
    const result = plan('1000.00', many);
    expect(result.allocations).toHaveLength(PAYMENT_ALLOCATIONS_MAX);
    expect(result.creditAmount).toBe('900.00');
  });
});

describe('receivePayment', () => {
  const older = open('inv_a', '30.00', '2026-01-01T00:00:00Z', 'INV-000001');
  const newer = open('inv_b', '50.00', '2026-02-01T00:00:00Z', 'INV-000002');

  it('with no invoice named: records the plan over the open invoices, oldest due first', () => {
    given(paymentDecider)
      .when((state) => receivePayment(request(), state, context({ openInvoices: [newer, older] })))
      .then([
        received({
          allocations: [
            { invoiceId: 'inv_a', amount: '30.00' },
            { invoiceId: 'inv_b', amount: '50.00' },
          ],
          creditAmount: '20.00',
        }),
      ]);
  });

  it('with no open invoice: everything becomes credit; a pending payment shows the plan', () => {
    const state = given(paymentDecider).when((state) => receivePayment(request(), state, context())).then([received()]);
    expect(state).toMatchObject({ status: 'pending', creditAmount: '100.00', amountRefunded: '0.00', refunds: [] });
  });

  it('leaves uncollectible invoices alone unless named', () => {
    const writtenOff = { ...older, status: 'uncollectible' as const };
    const [event] = receivePayment(request(), { status: 'none' }, context({ openInvoices: [writtenOff] })) as PaymentReceived[];
    expect(event.data.allocations).toEqual([]);
    const [named] = receivePayment(request({ invoiceId: 'inv_a' }), { status: 'none' }, context({ invoice: writtenOff })) as PaymentReceived[];
    expect(named.data.allocations).toEqual([{ invoiceId: 'inv_a', amount: '30.00' }]);
  });

  it('a named invoice: exactly, partly, or with a surplus for credit', () => {
    const named = (amount: string) =>
      (receivePayment(request({ amount, invoiceId: 'inv_b' }), { status: 'none' }, context({ invoice: newer })) as PaymentReceived[])[0].data;
    expect(named('50.00')).toMatchObject({ invoiceId: 'inv_b', allocations: [{ invoiceId: 'inv_b', amount: '50.00' }], creditAmount: '0.00' });
    expect(named('20.00')).toMatchObject({ allocations: [{ invoiceId: 'inv_b', amount: '20.00' }], creditAmount: '0.00' });
    expect(named('70.00')).toMatchObject({ allocations: [{ invoiceId: 'inv_b', amount: '50.00' }], creditAmount: '20.00' });
  });

  it('a named invoice that is paid: the whole payment becomes credit', () => {
    const paid = invoiceOf([
      ...issuedInvoiceEvents({ id: 'inv_b', total: '50.00' }),
      { type: 'InvoicePaymentApplied', data: { invoiceId: 'inv_b', customerId: 'cus_1', paymentId: 'pay_0', amount: '50.00', at: '2026-03-02T00:00:00Z' } },
    ]);
    const [event] = receivePayment(request({ invoiceId: 'inv_b' }), { status: 'none' }, context({ invoice: paid })) as PaymentReceived[];
    expect(event.data).toMatchObject({ allocations: [], creditAmount: '100.00' });
  });

  it('refuses another currency than the customer’s: currency-mismatch', () => {
    given(paymentDecider)
      .when((state) => receivePayment(request({ currency: 'EUR' }), state, context()))
      .thenThrows(RuleViolationError, 'currency-mismatch');
  });

  it('refuses a named invoice of another customer: invoice-customer-mismatch', () => {
    const theirs = invoiceOf(issuedInvoiceEvents({ id: 'inv_x', total: '10.00', customerId: 'cus_2' }));
    given(paymentDecider)
      .when((state) => receivePayment(request({ invoiceId: 'inv_x' }), state, context({ invoice: theirs })))
      .thenThrows(RuleViolationError, 'invoice-customer-mismatch');
  });

  it('refuses a named invoice that does not exist: invoice-not-found', () => {
    given(paymentDecider)
      .when((state) => receivePayment(request({ invoiceId: 'inv_x' }), state, context({ invoice: { status: 'none' } })))
      .thenThrows(NotFoundError, 'invoice-not-found');
  });

  it.each([
    ['a draft', invoiceOf(draftInvoiceEvents({ id: 'inv_x', total: '10.00' }))],
    ['void', { ...invoiceOf(issuedInvoiceEvents({ id: 'inv_x', total: '10.00' })), status: 'void' as const }],
  ])('refuses a named invoice that is %s: invoice-not-open', (_label, invoice) => {
    given(paymentDecider)
      .when((state) => receivePayment(request({ invoiceId: 'inv_x' }), state, context({ invoice })))
      .thenThrows(ConflictError, 'invoice-not-open');
  });

  it('decides nothing for the same request again (the caller completes it), whatever the invoices are now', () => {
    given(paymentDecider, [received()]).when((state) => receivePayment(request({ amount: '100' }), state, context({ openInvoices: [older] }))).then([]);
  });

  it('refuses the id with another request: payment-exists', () => {
    for (const overrides of [{ amount: '99.99' }, { method: 'card' }, { receivedAt: '2026-04-02T00:00:00Z' }, { reference: 'x' }, { invoiceId: 'inv_a' }]) {
      given(paymentDecider, [received()]).when((state) => receivePayment(request(overrides), state, context())).thenThrows(ConflictError, 'payment-exists');
    }
  });
});

describe('applyPaymentShare', () => {
  const payment = paymentOf([received({ allocations: [{ invoiceId: 'inv_1', amount: '60.00' }], creditAmount: '40.00' })]);
  const share = { invoiceId: 'inv_1', amount: '60.00' };
  const invoice = issuedInvoiceEvents({ total: '100.00' });
  const paidBy = (paymentId: string, amount: string): InvoiceEvent => ({
    type: 'InvoicePaymentApplied',
    data: { invoiceId: 'inv_1', customerId: 'cus_1', paymentId, amount, at: '2026-03-20T00:00:00Z' },
  });

  it('applies the planned share at the payment’s receivedAt', () => {
    const state = given(invoiceDecider, invoice).when((state) => applyPaymentShare(payment, share, state)).thenState();
    expect(amountTakenBy(state, 'pay_1', 'USD')).toBe('60.00');
    expect(state).toMatchObject({ amountDue: '40.00', payments: [{ paymentId: 'pay_1', amount: '60.00', at: '2026-04-01T00:00:00Z' }] });
  });

  it('applies only what the invoice still owes when it was paid meanwhile; the shortfall is for credit', () => {
    const state = given(invoiceDecider, [...invoice, paidBy('pay_0', '70.00')]).when((state) => applyPaymentShare(payment, share, state)).thenState();
    expect(amountTakenBy(state, 'pay_1', 'USD')).toBe('30.00');
    expect(state).toMatchObject({ status: 'paid' });
  });

  it('decides nothing when the invoice took the payment already, owes nothing, or was voided', () => {
    given(invoiceDecider, [...invoice, paidBy('pay_1', '60.00')]).when((state) => applyPaymentShare(payment, share, state)).then([]);
    given(invoiceDecider, [...invoice, paidBy('pay_0', '100.00')]).when((state) => applyPaymentShare(payment, share, state)).then([]);
    const voided: InvoiceEvent = {
      type: 'InvoiceVoided',
      data: { invoiceId: 'inv_1', customerId: 'cus_1', at: '2026-03-20T00:00:00Z', reason: 'x', creditReturned: '0.00' },
    };
    given(invoiceDecider, [...invoice, voided]).when((state) => applyPaymentShare(payment, share, state)).then([]);
    expect(amountTakenBy(fold(invoiceDecider, [...invoice, voided]), 'pay_1', 'USD')).toBe('0.00');
  });
});

describe('settlePayment', () => {
  it('records what the invoices took (zero shares dropped) and the credit: the amount less the allocations', () => {
    const state = given(paymentDecider, [received({ allocations: [{ invoiceId: 'inv_1', amount: '60.00' }], creditAmount: '40.00' })])
      .when((state) =>
        settlePayment(state, [
          { invoiceId: 'inv_1', amount: '30.00' },
          { invoiceId: 'inv_2', amount: '0.00' },
        ]),
      )
      .then([settled([{ invoiceId: 'inv_1', amount: '30.00' }], '70.00')]);
    expect(state).toMatchObject({ status: 'settled', allocations: [{ invoiceId: 'inv_1', amount: '30.00' }], creditAmount: '70.00' });
  });

  it('decides nothing once settled', () => {
    given(paymentDecider, [received(), settled([], '100.00')]).when((state) => settlePayment(state, [])).then([]);
  });

  it('never allocates more than the payment brought', () => {
    expect(() => settlePayment(paymentOf([received()]), [{ invoiceId: 'inv_1', amount: '100.01' }])).toThrow(/more than/);
  });
});

describe('refundPayment', () => {
  const refund = (overrides: Record<string, unknown> = {}) =>
    parseRefundRequest({ paymentId: 'pay_1', at: '2026-04-10T00:00:00Z', reason: 'duplicate charge', wallClockNow: NOW, ...overrides }, 'USD');
  const creditLeft = (amount: string) => ({ creditBalance: usd(amount) });
  // 100 received: 60 paid an invoice, 40 became credit.
  const history = [received({ allocations: [{ invoiceId: 'inv_1', amount: '60.00' }], creditAmount: '40.00' }), settled([{ invoiceId: 'inv_1', amount: '60.00' }], '40.00')];

  it('defaults to everything refundable; takes back first the credit the payment made', () => {
    const state = given(paymentDecider, history).when((state) => refundPayment(refund(), state, creditLeft('40.00'))).then([refunded(1, '100.00', '40.00')]);
    expect(state).toMatchObject({ amountRefunded: '100.00', refunds: [{ id: 'pay_1-refund-1', amount: '100.00', creditToRevoke: '40.00' }] });
  });

  it('a refund within the credit takes back only that much credit; money applied to invoices stays applied', () => {
    given(paymentDecider, history).when((state) => refundPayment(refund({ amount: '25.00' }), state, creditLeft('40.00'))).then([refunded(1, '25.00', '25.00')]);
  });

  it('takes back no more credit than the customer still holds, nor than the payment made and earlier refunds left', () => {
    given(paymentDecider, history).when((state) => refundPayment(refund({ amount: '50.00' }), state, creditLeft('10.00'))).then([refunded(1, '50.00', '10.00')]);
    given(paymentDecider, [...history, refunded(1, '30.00', '30.00', 'first')])
      .when((state) => refundPayment(refund({ amount: '50.00' }), state, creditLeft('100.00')))
      .then([refunded(2, '50.00', '10.00')]);
  });

  it('refuses more than is refundable: refund-exceeds-payment', () => {
    given(paymentDecider, history).when((state) => refundPayment(refund({ amount: '100.01' }), state, creditLeft('40.00'))).thenThrows(RuleViolationError, 'refund-exceeds-payment');
    const spent = [...history, refunded(1, '100.00', '40.00', 'first')];
    given(paymentDecider, spent).when((state) => refundPayment(refund({ amount: '0.01' }), state, creditLeft('0'))).thenThrows(RuleViolationError, 'refund-exceeds-payment');
    given(paymentDecider, spent).when((state) => refundPayment(refund(), state, creditLeft('0'))).thenThrows(RuleViolationError, 'refund-exceeds-payment');
  });

  it('decides nothing for the same refund again (same at, reason and amount)', () => {
    const done = [...history, refunded(1, '25.00', '25.00')];
    given(paymentDecider, done).when((state) => refundPayment(refund({ amount: '25.00' }), state, creditLeft('15.00'))).then([]);
    given(paymentDecider, done).when((state) => refundPayment(refund(), state, creditLeft('15.00'))).then([]);
    given(paymentDecider, done).when((state) => refundPayment(refund({ amount: '5.00' }), state, creditLeft('15.00'))).events();
  });

  it('refuses a pending payment (the caller completes it first) and a missing one', () => {
    given(paymentDecider, [received()]).when((state) => refundPayment(refund(), state, creditLeft('0'))).thenThrows(ConflictError, 'payment-pending');
    given(paymentDecider).when((state) => refundPayment(refund(), state, creditLeft('0'))).thenThrows(NotFoundError, 'payment-not-found');
  });

  it('checks its input: amount, at, reason', () => {
    const error = given(paymentDecider, history)
      .when(() => [...refundPayment(refund({ amount: '0', at: '2026-06-02T00:00:00Z', reason: ' ' }), { status: 'none' }, creditLeft('0'))])
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['amount', 'at', 'reason']);
    expect(() => refund({ amount: '1.001' })).toThrow(InvalidInputError);
  });
});
