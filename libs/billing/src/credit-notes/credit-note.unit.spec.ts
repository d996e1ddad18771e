import { ConflictError, InvalidInputError, NotFoundError } from '../shared/errors';
import { fold } from '../shared/decider';
import { fieldsOf, given } from '../testing/decider-spec';
import { creditInvoice, invoiceDecider, InvoiceEvent } from '../invoices/invoice';
import { issuedInvoiceEvents, NOW } from '../payments/testing/settlement-fixtures';
import {
  assertNewOrRetriedCreditNote,
  CreditNoteIssued,
  creditNoteDecider,
  IssueCreditNote,
  issueCreditNote,
  parseCreditNoteRequest,
} from './credit-note';

const command: IssueCreditNote = {
  id: 'cn_1',
  invoiceId: 'inv_1',
  amount: '50.00',
  reason: 'service outage',
  issuedAt: '2026-03-15T00:00:00Z',
  wallClockNow: NOW,
};
// 100 due, 80 paid: 20 still due.
const invoiceEvents: InvoiceEvent[] = [
  ...issuedInvoiceEvents({ total: '100.00' }),
  { type: 'InvoicePaymentApplied', data: { invoiceId: 'inv_1', customerId: 'cus_1', paymentId: 'pay_1', amount: '80.00', at: '2026-03-05T00:00:00Z' } },
];
const invoice = fold(invoiceDecider, invoiceEvents);
const request = (overrides: Partial<IssueCreditNote> = {}) => parseCreditNoteRequest({ ...command, ...overrides }, invoice);
/** The invoice once step 1 (InvoiceCredited) happened. */
const creditedInvoice = (amount = '50.00') =>
  fold(invoiceDecider, [...invoiceEvents, ...creditInvoice({ invoiceId: 'inv_1', creditNoteId: 'cn_1', amount, at: '2026-03-15T00:00:00Z' }, invoice)]);

const issued = (overrides: Partial<CreditNoteIssued['data']> = {}): CreditNoteIssued => ({
  type: 'CreditNoteIssued',
  data: {
    id: 'cn_1',
    invoiceId: 'inv_1',
    customerId: 'cus_1',
    currency: 'USD',
    amount: '50.00',
    amountApplied: '20.00',
    creditAmount: '30.00',
    reason: 'service outage',
    issuedAt: '2026-03-15T00:00:00Z',
    ...overrides,
  },
});

describe('parseCreditNoteRequest', () => {
  it('reads the amount in the invoice’s currency', () => {
    expect(request({ amount: '5' }).amount.toString()).toBe('5.00');
  });

  it('names every field at fault', () => {
    const error = given(creditNoteDecider)
      .when(() => {
        request({ amount: '0.001', reason: '', issuedAt: '2026-06-01T01:00:00Z' });
        return [];
      })
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['amount', 'issuedAt', 'reason']);
    expect(() => request({ amount: '-1.00' })).toThrow(InvalidInputError);
    expect(() => request({ amount: 5 })).toThrow(InvalidInputError);
  });

  it('needs the invoice to exist: invoice-not-found', () => {
    expect(() => parseCreditNoteRequest(command, { status: 'none' })).toThrow(NotFoundError);
  });
});

describe('issueCreditNote', () => {
  it('copies the invoice’s record: the part applied to the amount due, the rest for customer credit', () => {
    const state = given(creditNoteDecider).when((state) => issueCreditNote(request(), state, creditedInvoice())).then([issued()]);
    expect(state).toMatchObject({ status: 'issued', amount: '50.00', amountApplied: '20.00', creditAmount: '30.00' });
  });

  it('below the amount due: all of it applied, no credit', () => {
    const [event] = issueCreditNote(request({ amount: '15.00' }), { status: 'none' }, creditedInvoice('15.00')) as CreditNoteIssued[];
    expect(event.data).toMatchObject({ amount: '15.00', amountApplied: '15.00', creditAmount: '0.00' });
  });

  it('decides nothing for the same request again', () => {
    given(creditNoteDecider, [issued()]).when((state) => issueCreditNote(request({ amount: '50' }), state, creditedInvoice())).then([]);
    expect(assertNewOrRetriedCreditNote(request(), fold(creditNoteDecider, [issued()]))).toBe('retry');
    expect(assertNewOrRetriedCreditNote(request(), creditNoteDecider.initialState())).toBe('new');
  });

  it('refuses its id with another request: credit-note-exists', () => {
    for (const overrides of [{ amount: '49.00' }, { reason: 'other' }, { issuedAt: '2026-03-16T00:00:00Z' }]) {
      given(creditNoteDecider, [issued()])
        .when((state) => issueCreditNote(request(overrides), state, creditedInvoice()))
        .thenThrows(ConflictError, 'credit-note-exists');
    }
  });

  it('is never issued before the invoice recorded it', () => {
    expect(() => issueCreditNote(request(), { status: 'none' }, invoice)).toThrow(/has not recorded it/);
  });
});
