import { Money } from '@accrual/money';
import { FinanceEvent, MalformedEventError, parseFinanceEvent } from './finance-event';
import {
  documentsNeeded,
  FinanceEffect,
  FinanceInvoice,
  FinancePayment,
  financeEffectOf,
  InvalidEventDataError,
  JournalEntry,
  UnsupportedSchemaVersionError,
} from './journal-mapping';

/**
 * The mapping from published events to journal entries, given–when–then: events in, the
 * entries and outcomes the consumer would write out. `fold` keeps the documents the way the
 * Postgres journal does, in memory.
 */

let position = 0;
function envelope(type: string, data: Record<string, unknown>, id = `evt-${(position += 1)}`, version = 1): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source: 'urn:accrual:ledger',
    type: `accrual.${type}.v${version}`,
    subject: `stream-${id}`,
    time: '2033-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data,
    accrualstream: `stream-${id}`,
    accrualposition: String(position),
    accrualrevision: '0',
    accrualactor: 'test',
  };
}

interface Folded {
  outcomes: string[];
  entries: JournalEntry[];
}

function fold(events: FinanceEvent[]): Folded {
  const invoices = new Map<string, FinanceInvoice>();
  const payments = new Map<string, FinancePayment>();
  const seen = new Set<string>();
  const folded: Folded = { outcomes: [], entries: [] };
  for (const event of events) {
    if (seen.has(event.id)) {
      folded.outcomes.push('repeat');
      continue;
    }
    seen.add(event.id);
    const needed = documentsNeeded(event);
    const effect: FinanceEffect = financeEffectOf(event, {
      invoice: needed.invoiceId ? (invoices.get(needed.invoiceId) ?? null) : null,
      payment: needed.paymentId ? (payments.get(needed.paymentId) ?? null) : null,
    });
    if (effect.invoice) invoices.set(effect.invoice.id, effect.invoice);
    if (effect.payment) payments.set(effect.payment.id, effect.payment);
    if (effect.entry) folded.entries.push(effect.entry);
    folded.outcomes.push(effect.outcome);
  }
  return folded;
}

const line = (id: string, amount: string, period?: [string, string], taxAmount = '0.00') => ({
  id,
  description: id,
  priceId: null,
  quantity: '1',
  unitAmount: amount,
  amount,
  periodStart: period?.[0] ?? null,
  periodEnd: period?.[1] ?? null,
  proration: false,
  discountAmount: '0.00',
  taxAmount,
});

const invoiceCreated = (id: string, lines: ReturnType<typeof line>[], taxTotal = '0.00', taxRate: unknown = null) => {
  const subtotal = lines.reduce((sum, l) => sum.plus(Money.of(l.amount, 'USD')), Money.zero('USD'));
  return envelope('InvoiceCreated', {
    id,
    customerId: 'cus_1',
    currency: 'USD',
    source: 'manual',
    billingRunAsOf: null,
    subscriptionIds: [],
    lines,
    memo: null,
    subtotal: subtotal.toString(),
    discountTotal: '0.00',
    taxTotal,
    total: subtotal.plus(Money.of(taxTotal, 'USD')).toString(),
    taxRate,
  }, undefined, 2);
};
const issued = (id: string, issuedAt: string, creditApplied = '0.00') =>
  envelope('InvoiceIssued', { id, customerId: 'cus_1', number: 'INV-1', issuedAt, dueDate: '2033-02-01', creditApplied, amountDue: '0.00' });

const sides = (entry: JournalEntry) => entry.lines.map((l) => [l.account, l.debit, l.credit]);
const events = (...envelopes: Record<string, unknown>[]) => envelopes.map(parseFinanceEvent);
const taxRate = { id: 'tx', displayName: 'VAT', country: 'DE', region: null, percentage: '10', inclusive: false };

describe('finance journal mapping', () => {
  it('posts an issue on its UTC day: Dr receivables, Cr deferred revenue and tax', () => {
    const { outcomes, entries } = fold(events(invoiceCreated('inv_1', [line('inv_1-1', '100.00', undefined, '10.00')], '10.00', taxRate), issued('inv_1', '2033-01-31T23:30:00Z')));
    expect(outcomes).toEqual(['recorded', 'posted']);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ day: '2033-01-31', currency: 'USD', customerId: 'cus_1', invoiceId: 'inv_1', paymentId: null, eventType: 'InvoiceIssued' });
    expect(sides(entries[0])).toEqual([
      ['accounts_receivable', '110.00', '0.00'],
      ['deferred_revenue', '0.00', '100.00'],
      ['tax_payable', '0.00', '10.00'],
    ]);
  });

  it('takes customer credit applied at issue off receivables, and a void reverses the whole issue', () => {
    const { entries } = fold(
      events(
        invoiceCreated('inv_2', [line('inv_2-1', '50.00')]),
        issued('inv_2', '2033-01-05T00:00:00Z', '20.00'),
        envelope('InvoiceVoided', { invoiceId: 'inv_2', customerId: 'cus_1', at: '2033-01-09T10:00:00Z', reason: 'x', creditReturned: '20.00' }),
      ),
    );
    expect(sides(entries[0])).toEqual([
      ['accounts_receivable', '30.00', '0.00'],
      ['customer_credit', '20.00', '0.00'],
      ['deferred_revenue', '0.00', '50.00'],
    ]);
    expect(entries[1].day).toBe('2033-01-09');
    expect(sides(entries[1])).toEqual([
      ['accounts_receivable', '0.00', '30.00'],
      ['customer_credit', '0.00', '20.00'],
      ['deferred_revenue', '50.00', '0.00'],
    ]);
  });

  it('posts a payment: applied part against receivables, the rest as credit on the day received, a refund back out', () => {
    const { outcomes, entries } = fold(
      events(
        invoiceCreated('inv_3', [line('inv_3-1', '60.00')]),
        issued('inv_3', '2033-01-01T00:00:00Z'),
        envelope('PaymentReceived', {
          id: 'pay_1', customerId: 'cus_1', amount: '100.00', currency: 'USD', receivedAt: '2033-01-10T08:00:00Z', method: 'card',
          reference: null, invoiceId: 'inv_3', allocations: [{ invoiceId: 'inv_3', amount: '60.00' }], creditAmount: '40.00',
        }),
        envelope('InvoicePaymentApplied', { invoiceId: 'inv_3', customerId: 'cus_1', paymentId: 'pay_1', amount: '60.00', at: '2033-01-10T08:00:00Z' }),
        envelope('PaymentSettled', { paymentId: 'pay_1', customerId: 'cus_1', currency: 'USD', allocations: [{ invoiceId: 'inv_3', amount: '60.00' }], creditAmount: '40.00' }),
        envelope('PaymentRefunded', {
          paymentId: 'pay_1', customerId: 'cus_1', refundId: 'pay_1-refund-1', amount: '50.00', currency: 'USD', at: '2033-01-20T00:00:00Z',
          reason: 'r', creditToRevoke: '40.00',
        }),
      ),
    );
    expect(outcomes).toEqual(['recorded', 'posted', 'recorded', 'posted', 'posted', 'posted']);
    const [, applied, settled, refunded] = entries;
    expect([applied.day, applied.invoiceId, applied.paymentId]).toEqual(['2033-01-10', 'inv_3', 'pay_1']);
    expect(sides(applied)).toEqual([['cash', '60.00', '0.00'], ['accounts_receivable', '0.00', '60.00']]);
    // The settlement is dated by the payment it settles, not by when it was recorded.
    expect(settled.day).toBe('2033-01-10');
    expect(sides(settled)).toEqual([['cash', '40.00', '0.00'], ['customer_credit', '0.00', '40.00']]);
    expect(sides(refunded)).toEqual([['customer_credit', '40.00', '0.00'], ['accounts_receivable', '10.00', '0.00'], ['cash', '0.00', '50.00']]);
  });

  it('reverses revenue in proportion with a credit note, and a second note continues from what the first left', () => {
    const note = (id: string, amount: string, applied: string, credit: string, day: string) =>
      envelope('CreditNoteIssued', { id, invoiceId: 'inv_4', customerId: 'cus_1', currency: 'USD', amount, amountApplied: applied, creditAmount: credit, reason: 'r', issuedAt: `${day}T00:00:00Z` });
    const { entries } = fold(
      events(
        invoiceCreated('inv_4', [line('inv_4-1', '60.00', ['2033-01-01T00:00:00Z', '2033-03-02T00:00:00Z']), line('inv_4-2', '40.00')]),
        issued('inv_4', '2033-01-01T00:00:00Z'),
        note('cn_1', '50.00', '50.00', '0.00', '2033-01-15'),
        note('cn_2', '50.00', '50.00', '0.00', '2033-01-16'),
      ),
    );
    expect(sides(entries[1])).toEqual([['deferred_revenue', '50.00', '0.00'], ['accounts_receivable', '0.00', '50.00']]);
    expect(entries[1]).toMatchObject({ creditNoteId: 'cn_1', invoiceId: 'inv_4', day: '2033-01-15' });
    expect(sides(entries[2])).toEqual([['deferred_revenue', '50.00', '0.00'], ['accounts_receivable', '0.00', '50.00']]);
  });

  it('balances every entry', () => {
    const { entries } = fold(events(invoiceCreated('inv_5', [line('inv_5-1', '33.33', undefined, '3.33')], '3.33', taxRate), issued('inv_5', '2033-01-01T00:00:00Z', '1.11')));
    for (const entry of entries) {
      const total = (pick: 'debit' | 'credit') => entry.lines.reduce((sum, l) => sum.plus(Money.of(l[pick], entry.currency)), Money.zero(entry.currency));
      expect(total('debit').toString()).toBe(total('credit').toString());
    }
  });

  it('posts nothing for a document it never saw, nor for a void of a draft', () => {
    const { outcomes, entries } = fold(
      events(
        issued('inv_unknown', '2033-01-01T00:00:00Z'),
        envelope('PaymentSettled', { paymentId: 'pay_unknown', customerId: 'cus_1', currency: 'USD', allocations: [], creditAmount: '5.00' }),
        invoiceCreated('inv_6', [line('inv_6-1', '10.00')]),
        envelope('InvoiceVoided', { invoiceId: 'inv_6', customerId: 'cus_1', at: '2033-01-02T00:00:00Z', reason: 'x', creditReturned: '0.00' }),
      ),
    );
    expect(outcomes).toEqual(['missing_document', 'missing_document', 'recorded', 'ignored']);
    expect(entries).toEqual([]);
  });

  it('ignores events the ledger does not post, and drops a repeat by its id', () => {
    const issue = issued('inv_7', '2033-01-01T00:00:00Z');
    const { outcomes, entries } = fold(
      events(
        envelope('InvoiceNumberAssigned', { invoiceId: 'inv_7', customerId: 'cus_1', number: 'INV-7' }),
        envelope('SomethingNew', { customerId: 'cus_1' }),
        invoiceCreated('inv_7', [line('inv_7-1', '10.00')]),
        issue,
        issue,
      ),
    );
    expect(outcomes).toEqual(['ignored', 'ignored', 'recorded', 'posted', 'repeat']);
    expect(entries).toHaveLength(1);
  });

  it('creates a document once: a second creation of the same invoice changes nothing', () => {
    const { outcomes, entries } = fold(
      events(
        invoiceCreated('inv_9', [line('inv_9-1', '10.00')]),
        issued('inv_9', '2033-01-01T00:00:00Z'),
        invoiceCreated('inv_9', [line('inv_9-1', '99.00')]),
        envelope('InvoiceVoided', { invoiceId: 'inv_9', customerId: 'cus_1', at: '2033-01-02T00:00:00Z', reason: 'x', creditReturned: '0.00' }),
      ),
    );
    expect(outcomes).toEqual(['recorded', 'posted', 'ignored', 'posted']);
    expect(sides(entries[1])).toEqual([['accounts_receivable', '0.00', '10.00'], ['deferred_revenue', '10.00', '0.00']]);
  });

  it('stops at a posted type of a schema version newer than it knows, instead of guessing its shape', () => {
    const [event] = events(envelope('PaymentRefunded', { paymentId: 'p' }, 'evt-new', 9));
    expect(() => financeEffectOf(event, { invoice: null, payment: null })).toThrow(UnsupportedSchemaVersionError);
  });

  it('refuses data that lacks what the posting reads, or holds what is not an amount', () => {
    const [lacking, notAmount] = events(
      envelope('PaymentRefunded', { paymentId: 'p', customerId: 'c', currency: 'USD', at: '2033-01-01T00:00:00Z', creditToRevoke: '0.00' }),
      envelope('PaymentRefunded', { paymentId: 'p', customerId: 'c', currency: 'USD', amount: '1.234', at: '2033-01-01T00:00:00Z', creditToRevoke: '0.00' }),
    );
    expect(() => financeEffectOf(lacking, { invoice: null, payment: null })).toThrow(InvalidEventDataError);
    expect(() => financeEffectOf(lacking, { invoice: null, payment: null })).toThrow(/no valid amount/);
    expect(() => financeEffectOf(notAmount, { invoice: null, payment: null })).toThrow(/decimal places/);
  });

  it('reads an InvoiceCreated published at schema version 1 (before tax rates) through the upcaster', () => {
    const v1 = invoiceCreated('inv_8', [line('inv_8-1', '10.00')]);
    const data = { ...(v1.data as Record<string, unknown>) };
    delete data.taxRate;
    const event = parseFinanceEvent({ ...v1, type: 'accrual.InvoiceCreated.v1', data });
    expect(event).toMatchObject({ eventType: 'InvoiceCreated', schemaVersion: 1 });
    expect(event.data.taxRate).toBeNull();
    expect(financeEffectOf(event, { invoice: null, payment: null }).invoice).toMatchObject({ revenueTotal: '10.00', taxInclusive: false });
  });
});

describe('reading the CloudEvent envelope', () => {
  it('keeps the id, type, version, stream and log position', () => {
    const value = envelope('PaymentReceived', { id: 'p' }, 'evt-x');
    expect(parseFinanceEvent(JSON.stringify(value))).toEqual({
      id: 'evt-x',
      eventType: 'PaymentReceived',
      schemaVersion: 1,
      data: { id: 'p' },
      streamId: 'stream-evt-x',
      logPosition: value.accrualposition,
    });
  });

  it.each([
    ['not JSON', 'nope'],
    ['not an object', [1, 2]],
    ['another spec version', { ...envelope('X', {}), specversion: '0.3' }],
    ['no id', { ...envelope('X', {}), id: '' }],
    ['a foreign type', { ...envelope('X', {}), type: 'com.example.thing' }],
    ['data not an object', { ...envelope('X', {}), data: 'text' }],
    ['a position that is not a decimal', { ...envelope('X', {}), accrualposition: '-1' }],
  ])('refuses %s', (_name, value) => {
    expect(() => parseFinanceEvent(value)).toThrow(MalformedEventError);
  });
});
