import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { at } from '../testing/fixtures';
import { draftInvoiceEvents, invoiceOf, issuedInvoiceEvents, NOW } from '../payments/testing/settlement-fixtures';
import {
  amountPayable,
  applyPaymentToInvoice,
  creditInvoice,
  InvoiceEvent,
  invoiceDecider,
  issueInvoice,
  markInvoiceUncollectible,
  voidInvoice,
} from './invoice';

const open100 = issuedInvoiceEvents({ total: '100.00' });
const pay = (paymentId: string, amount: string): InvoiceEvent => ({
  type: 'InvoicePaymentApplied',
  data: { invoiceId: 'inv_1', customerId: 'cus_1', paymentId, amount, at: '2026-03-05T00:00:00Z' },
});
const credit = (creditNoteId: string, creditNoteAmount: string, amount: string): InvoiceEvent => ({
  type: 'InvoiceCredited',
  data: { invoiceId: 'inv_1', customerId: 'cus_1', creditNoteId, creditNoteAmount, amount, at: '2026-03-06T00:00:00Z' },
});
const voided = (creditReturned = '0.00'): InvoiceEvent => ({
  type: 'InvoiceVoided',
  data: { invoiceId: 'inv_1', customerId: 'cus_1', at: '2026-03-07T00:00:00Z', reason: 'duplicate', creditReturned },
});
const writtenOff: InvoiceEvent = {
  type: 'InvoiceMarkedUncollectible',
  data: { invoiceId: 'inv_1', customerId: 'cus_1', at: '2026-03-08T00:00:00Z', reason: 'insolvent', amountDue: '100.00' },
};
const applying = (paymentId: string, amount: string) => (state: Parameters<typeof applyPaymentToInvoice>[1]) =>
  applyPaymentToInvoice({ invoiceId: 'inv_1', paymentId, amount, at: '2026-03-05T00:00:00Z' }, state);
const crediting = (creditNoteId: string, amount: string) => (state: Parameters<typeof creditInvoice>[1]) =>
  creditInvoice({ invoiceId: 'inv_1', creditNoteId, amount, at: '2026-03-06T00:00:00Z' }, state);
const ending = (overrides: Record<string, unknown> = {}) => ({
  invoiceId: 'inv_1',
  at: '2026-03-07T00:00:00Z',
  reason: 'duplicate',
  wallClockNow: NOW,
  ...overrides,
});

describe('issueInvoice with customer credit', () => {
  it('lowers the amount due by the credit applied, and counts it as credited', () => {
    const state = invoiceOf(issuedInvoiceEvents({ total: '100.00', creditApplied: '30.00' }));
    expect(state).toMatchObject({ status: 'open', creditApplied: '30.00', amountCredited: '30.00', amountPaid: '0.00', amountDue: '70.00' });
  });

  it('is paid at issue when the credit covers the total', () => {
    const state = invoiceOf(issuedInvoiceEvents({ total: '100.00', creditApplied: '100.00' }));
    expect(state).toMatchObject({ status: 'paid', amountDue: '0.00', paidAt: '2026-03-01T00:00:00Z' });
  });

  it('refuses credit beyond the amount due: credit-exceeds-amount-due', () => {
    given(invoiceDecider, draftInvoiceEvents({ total: '10.00' }))
      .when((state) => issueInvoice({ id: 'inv_1', issuedAt: at('2026-03-01'), number: 'INV-000001', paymentTermsDays: 30, creditApplied: '10.01' }, state))
      .thenThrows(RuleViolationError, 'credit-exceeds-amount-due');
  });
});

describe('applyPaymentToInvoice', () => {
  it('records the payment: amountPaid up, amountDue down, still open while something is due', () => {
    const state = given(invoiceDecider, open100).when(applying('pay_1', '40.00')).then([pay('pay_1', '40.00')]);
    expect(state).toMatchObject({
      status: 'open',
      amountPaid: '40.00',
      amountDue: '60.00',
      payments: [{ paymentId: 'pay_1', amount: '40.00', at: '2026-03-05T00:00:00Z' }],
      paidAt: null,
    });
  });

  it('makes the invoice paid when the amount due reaches zero', () => {
    const state = given(invoiceDecider, [...open100, pay('pay_1', '40.00')]).when(applying('pay_2', '60.00')).thenState();
    expect(state).toMatchObject({ status: 'paid', amountPaid: '100.00', amountDue: '0.00', paidAt: '2026-03-05T00:00:00Z' });
  });

  it('pays an uncollectible invoice too (a write-off can still be collected)', () => {
    const state = given(invoiceDecider, [...open100, writtenOff]).when(applying('pay_1', '100.00')).thenState();
    expect(state).toMatchObject({ status: 'paid', amountDue: '0.00' });
  });

  it('decides nothing for a payment it took already (a retried step)', () => {
    given(invoiceDecider, [...open100, pay('pay_1', '40.00')]).when(applying('pay_1', '40.00')).then([]);
  });

  it('refuses more than the amount due: payment-exceeds-amount-due', () => {
    given(invoiceDecider, open100).when(applying('pay_1', '100.01')).thenThrows(RuleViolationError, 'payment-exceeds-amount-due');
  });

  it('refuses a zero amount', () => {
    given(invoiceDecider, open100).when(applying('pay_1', '0')).thenThrows(InvalidInputError);
  });

  it.each([
    ['a draft', draftInvoiceEvents({ total: '100.00' }), 'invoice-not-open'],
    ['a void invoice', [...open100, voided()], 'invoice-not-open'],
    ['a paid invoice', [...open100, pay('pay_1', '100.00')], 'invoice-paid'],
  ])('refuses %s: %s', (_label, events, code) => {
    given(invoiceDecider, events).when(applying('pay_2', '1.00')).thenThrows(ConflictError, code);
  });

  it('refuses an invoice that does not exist', () => {
    given(invoiceDecider).when(applying('pay_1', '1.00')).thenThrows(NotFoundError, 'invoice-not-found');
  });
});

describe('creditInvoice', () => {
  it('below the amount due: lowers it by the whole credit note', () => {
    const state = given(invoiceDecider, open100).when(crediting('cn_1', '30.00')).then([credit('cn_1', '30.00', '30.00')]);
    expect(state).toMatchObject({
      status: 'open',
      amountCredited: '30.00',
      amountDue: '70.00',
      creditNotes: [{ creditNoteId: 'cn_1', amount: '30.00', amountApplied: '30.00', at: '2026-03-06T00:00:00Z' }],
    });
  });

  it('beyond the amount due: lowers it to zero (paid), the rest is for customer credit', () => {
    const state = given(invoiceDecider, [...open100, pay('pay_1', '80.00')]).when(crediting('cn_1', '50.00')).then([credit('cn_1', '50.00', '20.00')]);
    expect(state).toMatchObject({ status: 'paid', amountPaid: '80.00', amountCredited: '20.00', amountDue: '0.00' });
  });

  it('on a paid invoice: nothing is due, all of it is for customer credit', () => {
    given(invoiceDecider, [...open100, pay('pay_1', '100.00')]).when(crediting('cn_1', '25.00')).then([credit('cn_1', '25.00', '0.00')]);
  });

  it('on an uncollectible invoice: lowers what is written off', () => {
    expect(given(invoiceDecider, [...open100, writtenOff]).when(crediting('cn_1', '100.00')).thenState()).toMatchObject({ status: 'paid' });
  });

  it('refuses credit notes adding up to more than the total: credit-note-exceeds-invoice', () => {
    given(invoiceDecider, [...open100, credit('cn_1', '60.00', '60.00')])
      .when(crediting('cn_2', '40.01'))
      .thenThrows(RuleViolationError, 'credit-note-exceeds-invoice');
    given(invoiceDecider, [...open100, credit('cn_1', '60.00', '60.00')]).when(crediting('cn_2', '40.00')).events();
  });

  it('refuses a credit note dated before the invoice\'s latest one: credit-note-out-of-order', () => {
    const events = [...open100, credit('cn_1', '10.00', '10.00')];
    given(invoiceDecider, events)
      .when((state) => creditInvoice({ invoiceId: 'inv_1', creditNoteId: 'cn_2', amount: '5.00', at: '2026-03-05T23:59:59Z' }, state))
      .thenThrows(RuleViolationError, 'credit-note-out-of-order');
    given(invoiceDecider, events)
      .when((state) => creditInvoice({ invoiceId: 'inv_1', creditNoteId: 'cn_2', amount: '5.00', at: '2026-03-06T00:00:00Z' }, state))
      .then([credit('cn_2', '5.00', '5.00')]);
  });

  it('decides nothing for the same credit note again; another amount under its id is credit-note-exists', () => {
    given(invoiceDecider, [...open100, credit('cn_1', '30.00', '30.00')]).when(crediting('cn_1', '30')).then([]);
    given(invoiceDecider, [...open100, credit('cn_1', '30.00', '30.00')]).when(crediting('cn_1', '31.00')).thenThrows(ConflictError, 'credit-note-exists');
  });

  it.each([
    ['a draft', draftInvoiceEvents({ total: '100.00' })],
    ['a void invoice', [...open100, voided()]],
  ])('refuses %s: invoice-not-open', (_label, events) => {
    given(invoiceDecider, events).when(crediting('cn_1', '1.00')).thenThrows(ConflictError, 'invoice-not-open');
  });
});

describe('voidInvoice', () => {
  it('voids an open invoice, giving back the customer credit applied at issue', () => {
    const events = issuedInvoiceEvents({ total: '100.00', creditApplied: '30.00' });
    const state = given(invoiceDecider, events).when((state) => voidInvoice(ending(), state)).then([voided('30.00')]);
    expect(state).toMatchObject({ status: 'void', voidedAt: '2026-03-07T00:00:00Z', statusReason: 'duplicate', amountDue: '70.00' });
    expect(amountPayable(invoiceOf([...events, voided('30.00')])).toString()).toBe('0.00');
  });

  it('voids an uncollectible invoice (as Stripe does)', () => {
    given(invoiceDecider, [...open100, writtenOff]).when((state) => voidInvoice(ending(), state)).then([voided()]);
  });

  it.each([
    ['paid', [...open100, pay('pay_1', '100.00')], 'invoice-paid'],
    ['partly paid', [...open100, pay('pay_1', '1.00')], 'invoice-partially-paid'],
    ['credited', [...open100, credit('cn_1', '1.00', '1.00')], 'invoice-has-credit-notes'],
    ['a draft', draftInvoiceEvents({ total: '100.00' }), 'invoice-not-open'],
    ['void already', [...open100, voided()], 'invoice-not-open'],
  ])('refuses an invoice that is %s: %s', (_label, events, code) => {
    given(invoiceDecider, events).when((state) => voidInvoice(ending(), state)).thenThrows(ConflictError, code);
  });

  it('refuses bad input before looking at the state, naming every field', () => {
    const error = given(invoiceDecider, open100)
      .when((state) => voidInvoice(ending({ at: '2026-06-01T00:06:00Z', reason: '' }), state))
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['at', 'reason']);
    given(invoiceDecider, open100).when((state) => voidInvoice(ending({ at: 'yesterday' }), state)).thenThrows(InvalidInputError);
  });

  it('accepts a backdated instant down to the issue and one up to 5 minutes ahead of the wall clock', () => {
    given(invoiceDecider, open100).when((state) => voidInvoice(ending({ at: '2026-03-01T00:00:00Z' }), state)).events();
    given(invoiceDecider, open100).when((state) => voidInvoice(ending({ at: '2026-06-01T00:05:00Z' }), state)).events();
  });

  it('refuses a void, write-off or credit note dated before the invoice was issued: dated-before-issue', () => {
    const before = '2026-02-28T23:59:59Z';
    given(invoiceDecider, open100).when((state) => voidInvoice(ending({ at: before }), state)).thenThrows(RuleViolationError, 'dated-before-issue');
    given(invoiceDecider, open100)
      .when((state) => markInvoiceUncollectible(ending({ at: before }), state))
      .thenThrows(RuleViolationError, 'dated-before-issue');
    given(invoiceDecider, open100)
      .when((state) => creditInvoice({ invoiceId: 'inv_1', creditNoteId: 'cn_1', amount: '10.00', at: before }, state))
      .thenThrows(RuleViolationError, 'dated-before-issue');
  });

  it('refuses an invoice that does not exist', () => {
    given(invoiceDecider).when((state) => voidInvoice(ending(), state)).thenThrows(NotFoundError, 'invoice-not-found');
  });
});

describe('markInvoiceUncollectible', () => {
  it('writes off an open invoice; the amount due stays', () => {
    const state = given(invoiceDecider, open100)
      .when((state) => markInvoiceUncollectible(ending({ at: '2026-03-08T00:00:00Z', reason: 'insolvent' }), state))
      .then([writtenOff]);
    expect(state).toMatchObject({ status: 'uncollectible', amountDue: '100.00', markedUncollectibleAt: '2026-03-08T00:00:00Z', statusReason: 'insolvent' });
  });

  it.each([
    ['paid', [...open100, pay('pay_1', '100.00')], 'invoice-paid'],
    ['a draft', draftInvoiceEvents({ total: '100.00' }), 'invoice-not-open'],
    ['void', [...open100, voided()], 'invoice-not-open'],
    ['uncollectible already', [...open100, writtenOff], 'invoice-not-open'],
  ])('refuses an invoice that is %s: %s', (_label, events, code) => {
    given(invoiceDecider, events).when((state) => markInvoiceUncollectible(ending(), state)).thenThrows(ConflictError, code);
  });

  it('refuses a missing reason', () => {
    const error = given(invoiceDecider, open100).when((state) => markInvoiceUncollectible(ending({ reason: undefined }), state)).thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['reason']);
  });
});
