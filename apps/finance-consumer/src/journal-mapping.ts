import {
  AccrualEventType,
  CreditNoteIssuedData,
  creditNoteIssuedPosting,
  CURRENT_SCHEMA_VERSION,
  formatDate,
  InvoiceCreatedData,
  InvoiceIssuedData,
  invoiceIssuedPosting,
  InvoiceLine,
  InvoicePaymentAppliedData,
  invoiceVoidedPosting,
  InvoiceVoidedData,
  IssuedInvoiceAmounts,
  JournalLine,
  JournalPosting,
  lineRevenueAmount,
  parseInstant,
  paymentAppliedPosting,
  paymentCreditPosting,
  PaymentReceivedData,
  PaymentRefundedData,
  paymentRefundedPosting,
  PaymentSettledData,
  scheduleOf,
} from '@accrual/billing';
import { Money } from '@accrual/money';
import { FinanceEvent } from './finance-event';

/**
 * The general-ledger mapping, pure: an event and the documents it refers to in, the journal
 * entry and the documents as they stand afterwards out. The posting rules are the ledger's own
 * (`@accrual/billing`, docs/reporting.md "Journal"), so this journal matches Accrual's
 * `journal_entries` line for line. Revenue recognition (deferred → revenue by service day) is not
 * posted here; see docs/finance-consumer.md.
 */

/** What the consumer remembers of an invoice: enough to post its issue, void and credit notes. */
export interface FinanceInvoice {
  id: string;
  customerId: string;
  currency: string;
  total: string;
  taxTotal: string;
  /** Σ of the lines' revenue (amount − discount, − tax when inclusive). */
  revenueTotal: string;
  taxInclusive: boolean;
  lines: InvoiceLine[];
  /** Null until the invoice is issued. */
  issuedAt: string | null;
  creditApplied: string;
  /** Σ of the credit notes on the invoice so far. */
  credited: string;
}

/** What the consumer remembers of a payment: the settlement posts on the day it was received. */
export interface FinancePayment {
  id: string;
  customerId: string;
  currency: string;
  receivedDay: string;
}

/** One event's balanced entry in the general ledger; `day` is the business day (`YYYY-MM-DD`). */
export interface JournalEntry {
  eventId: string;
  eventType: string;
  day: string;
  currency: string;
  customerId: string;
  invoiceId: string | null;
  paymentId: string | null;
  creditNoteId: string | null;
  lines: JournalLine[];
}

/**
 * - `posted`: a journal entry (it may have no lines, e.g. a settlement that left no credit);
 * - `recorded`: a document remembered for later events, nothing posted;
 * - `ignored`: an event the general ledger does not use (numbers, write-offs, new types);
 * - `missing_document`: the invoice or payment it refers to was never seen (a consumer that
 *   started after it was published, or a topic whose retention dropped it), so nothing is posted.
 */
export type FinanceOutcome = 'posted' | 'recorded' | 'ignored' | 'missing_document';

export interface FinanceEffect {
  outcome: FinanceOutcome;
  /** The invoice or payment as it stands after the event, to be saved. */
  invoice?: FinanceInvoice;
  payment?: FinancePayment;
  entry?: JournalEntry;
  /** Why nothing was posted, for `ignored` and `missing_document`. */
  reason?: string;
}

export interface KnownDocuments {
  invoice: FinanceInvoice | null;
  payment: FinancePayment | null;
}

/** An event of a type this consumer posts, at a schema version newer than it knows: it must stop, not guess. */
export class UnsupportedSchemaVersionError extends Error {
  constructor(readonly event: Pick<FinanceEvent, 'id' | 'eventType' | 'schemaVersion'>) {
    super(`event ${event.id}: ${event.eventType} v${event.schemaVersion} is newer than this consumer knows; upgrade it`);
  }
}

/**
 * An event of a posted type whose data lacks what its posting needs, or holds something that is
 * not an amount or an instant. The ledger validates every event before writing it, so this is
 * a message that did not come from it; it is kept aside, not posted, and the partition moves on.
 */
export class InvalidEventDataError extends Error {}

/** The string fields each posted type must carry (the posting reads them); `lines` is checked apart. */
const REQUIRED_FIELDS: Readonly<Partial<Record<AccrualEventType, readonly string[]>>> = {
  InvoiceCreated: ['id', 'customerId', 'currency', 'total', 'taxTotal'],
  InvoiceIssued: ['id', 'issuedAt', 'creditApplied'],
  InvoicePaymentApplied: ['invoiceId', 'customerId', 'paymentId', 'amount', 'at'],
  InvoiceVoided: ['invoiceId', 'at'],
  CreditNoteIssued: ['id', 'invoiceId', 'amount', 'amountApplied', 'creditAmount', 'issuedAt'],
  PaymentReceived: ['id', 'customerId', 'currency', 'receivedAt'],
  PaymentSettled: ['paymentId', 'customerId', 'currency', 'creditAmount'],
  PaymentRefunded: ['paymentId', 'customerId', 'currency', 'amount', 'at', 'creditToRevoke'],
};

/** The invoice or payment an event needs loaded before `financeEffectOf` can map it. */
export function documentsNeeded(event: FinanceEvent): { invoiceId?: string; paymentId?: string } {
  const data = event.data;
  switch (event.eventType) {
    case 'InvoiceCreated':
    case 'InvoiceIssued':
      return { invoiceId: String(data.id) };
    case 'PaymentReceived':
      return { paymentId: String(data.id) };
    case 'InvoicePaymentApplied':
    case 'InvoiceVoided':
    case 'CreditNoteIssued':
      return { invoiceId: String(data.invoiceId) };
    case 'PaymentSettled':
      return { paymentId: String(data.paymentId) };
    default:
      return {};
  }
}

export function financeEffectOf(event: FinanceEvent, known: KnownDocuments): FinanceEffect {
  const type = event.eventType as AccrualEventType;
  const required = REQUIRED_FIELDS[type];
  if (required === undefined) return { outcome: 'ignored', reason: `${event.eventType} posts nothing` };
  if (event.schemaVersion > CURRENT_SCHEMA_VERSION[type]) throw new UnsupportedSchemaVersionError(event);
  const lacking = required.filter((field) => typeof event.data[field] !== 'string' || event.data[field] === '');
  if (type === 'InvoiceCreated' && !Array.isArray(event.data.lines)) lacking.push('lines');
  if (lacking.length > 0) throw new InvalidEventDataError(`event ${event.id} (${event.eventType}): no valid ${lacking.join(', ')}`);
  try {
    return effectOf(type, event, known);
  } catch (error) {
    // The posting rules refuse what is not an amount or an instant (InvalidDecimalError, …).
    throw new InvalidEventDataError(`event ${event.id} (${event.eventType}): ${(error as Error).message}`);
  }
}

function effectOf(type: AccrualEventType, event: FinanceEvent, known: KnownDocuments): FinanceEffect {
  switch (type) {
    case 'InvoiceCreated':
      // A document is created once; a second creation must not reset what later events changed.
      if (known.invoice) return { outcome: 'ignored', reason: `invoice ${known.invoice.id} was created before` };
      return { outcome: 'recorded', invoice: invoiceOf(event.data as unknown as InvoiceCreatedData) };
    case 'InvoiceIssued':
      return invoiceIssued(event, event.data as unknown as InvoiceIssuedData, known.invoice);
    case 'InvoicePaymentApplied':
      return paymentApplied(event, event.data as unknown as InvoicePaymentAppliedData, known.invoice);
    case 'InvoiceVoided':
      return invoiceVoided(event, event.data as unknown as InvoiceVoidedData, known.invoice);
    case 'CreditNoteIssued':
      return creditNoteIssued(event, event.data as unknown as CreditNoteIssuedData, known.invoice);
    case 'PaymentReceived':
      if (known.payment) return { outcome: 'ignored', reason: `payment ${known.payment.id} was received before` };
      return { outcome: 'recorded', payment: paymentOf(event.data as unknown as PaymentReceivedData) };
    case 'PaymentSettled':
      return paymentSettled(event, event.data as unknown as PaymentSettledData, known.payment);
    case 'PaymentRefunded':
      return paymentRefunded(event, event.data as unknown as PaymentRefundedData);
    default:
      return { outcome: 'ignored', reason: `${event.eventType} posts nothing` };
  }
}

function invoiceOf(data: InvoiceCreatedData): FinanceInvoice {
  const inclusive = data.taxRate?.inclusive ?? false;
  const zero = Money.zero(data.currency);
  const revenueTotal = data.lines.reduce((sum, line) => sum.plus(lineRevenueAmount(line, inclusive, data.currency)), zero);
  return {
    id: data.id,
    customerId: data.customerId,
    currency: data.currency,
    total: amount(data.total, data.currency),
    taxTotal: amount(data.taxTotal, data.currency),
    revenueTotal: revenueTotal.toString(),
    taxInclusive: inclusive,
    lines: data.lines,
    issuedAt: null,
    creditApplied: zero.toString(),
    credited: zero.toString(),
  };
}

function paymentOf(data: PaymentReceivedData): FinancePayment {
  return { id: data.id, customerId: data.customerId, currency: data.currency, receivedDay: dayOf(data.receivedAt) };
}

function invoiceIssued(event: FinanceEvent, data: InvoiceIssuedData, invoice: FinanceInvoice | null): FinanceEffect {
  if (!invoice) return missing('invoice', data.id);
  const issued: FinanceInvoice = { ...invoice, issuedAt: data.issuedAt, creditApplied: amount(data.creditApplied, invoice.currency) };
  const refs = { customerId: invoice.customerId, invoiceId: invoice.id };
  return { outcome: 'posted', invoice: issued, entry: entryOf(event, dayOf(data.issuedAt), refs, invoiceIssuedPosting(amountsOf(issued))) };
}

function paymentApplied(event: FinanceEvent, data: InvoicePaymentAppliedData, invoice: FinanceInvoice | null): FinanceEffect {
  if (!invoice) return missing('invoice', data.invoiceId);
  const refs = { customerId: data.customerId, invoiceId: data.invoiceId, paymentId: data.paymentId };
  return { outcome: 'posted', entry: entryOf(event, dayOf(data.at), refs, paymentAppliedPosting(invoice.currency, data.amount)) };
}

function invoiceVoided(event: FinanceEvent, data: InvoiceVoidedData, invoice: FinanceInvoice | null): FinanceEffect {
  if (!invoice) return missing('invoice', data.invoiceId);
  // A draft's void reverses nothing: nothing was posted for it.
  if (invoice.issuedAt === null) return { outcome: 'ignored', reason: `invoice ${invoice.id} was never issued` };
  const refs = { customerId: invoice.customerId, invoiceId: invoice.id };
  return { outcome: 'posted', entry: entryOf(event, dayOf(data.at), refs, invoiceVoidedPosting(amountsOf(invoice))) };
}

/** Credit notes reverse revenue in proportion to what they take off the invoice's total (see journal.ts). */
function creditNoteIssued(event: FinanceEvent, note: CreditNoteIssuedData, invoice: FinanceInvoice | null): FinanceEffect {
  if (!invoice) return missing('invoice', note.invoiceId);
  if (invoice.issuedAt === null) return { outcome: 'ignored', reason: `invoice ${invoice.id} was never issued` };
  const issuedAt = invoice.issuedAt;
  const money = (text: string) => Money.of(text, invoice.currency);
  const schedules = invoice.lines.map((line) => scheduleOf(line, invoice.taxInclusive, invoice.currency, issuedAt));
  const remainingBefore = money(invoice.total).minus(money(invoice.credited));
  const remainingAfter = remainingBefore.minus(money(note.amount));
  const share = (remaining: Money) => ({ remaining: remaining.toString(), total: invoice.total });
  const posting = creditNoteIssuedPosting(note, schedules, share(remainingBefore), share(remainingAfter));
  const credited: FinanceInvoice = { ...invoice, credited: money(invoice.credited).plus(money(note.amount)).toString() };
  const refs = { customerId: invoice.customerId, invoiceId: invoice.id, creditNoteId: note.id };
  return { outcome: 'posted', invoice: credited, entry: entryOf(event, dayOf(note.issuedAt), refs, posting) };
}

function paymentSettled(event: FinanceEvent, data: PaymentSettledData, payment: FinancePayment | null): FinanceEffect {
  if (!payment) return missing('payment', data.paymentId);
  const refs = { customerId: data.customerId, paymentId: data.paymentId };
  return { outcome: 'posted', entry: entryOf(event, payment.receivedDay, refs, paymentCreditPosting(data.currency, data.creditAmount)) };
}

function paymentRefunded(event: FinanceEvent, data: PaymentRefundedData): FinanceEffect {
  const refs = { customerId: data.customerId, paymentId: data.paymentId };
  const posting = paymentRefundedPosting(data.currency, data.amount, data.creditToRevoke);
  return { outcome: 'posted', entry: entryOf(event, dayOf(data.at), refs, posting) };
}

interface EntryRefs {
  customerId: string;
  invoiceId?: string;
  paymentId?: string;
  creditNoteId?: string;
}

function entryOf(event: FinanceEvent, day: string, refs: EntryRefs, posting: JournalPosting): JournalEntry {
  return {
    eventId: event.id,
    eventType: event.eventType,
    day,
    currency: posting.currency,
    customerId: refs.customerId,
    invoiceId: refs.invoiceId ?? null,
    paymentId: refs.paymentId ?? null,
    creditNoteId: refs.creditNoteId ?? null,
    lines: posting.lines,
  };
}

function amountsOf(invoice: FinanceInvoice): IssuedInvoiceAmounts {
  return {
    currency: invoice.currency,
    total: invoice.total,
    taxTotal: invoice.taxTotal,
    revenueTotal: invoice.revenueTotal,
    creditApplied: invoice.creditApplied,
  };
}

function missing(kind: 'invoice' | 'payment', id: string): FinanceEffect {
  return { outcome: 'missing_document', reason: `${kind} ${id} was never seen by this consumer` };
}

/** The UTC day of an RFC 3339 instant, as the ledger dates its postings. */
export function dayOf(instant: string): string {
  return formatDate(parseInstant('at', instant));
}

function amount(text: string, currency: string): string {
  return Money.of(text, currency).toString();
}
