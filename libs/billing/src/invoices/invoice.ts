import Big from 'big.js';
import { Money, parseDecimal, parseQuantity } from '@accrual/money';
import { UNIT_AMOUNT_DECIMALS } from '../catalog/price';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { addDays, formatDate, formatInstant, Instant, parseInstant } from '../time/instant';
import { InvoiceLine, InvoiceLineDraft, InvoiceTotals, numberLines, roundLineAmount } from './invoice-lines';
import { CouponApplication, priceInvoice } from './invoice-pricing';
import { TaxRateDefinition } from '../catalog/tax-rate';
import { parseQuantityField } from '../usage/quantity';
import { businessInstantField, reasonField } from '../payments/settlement-input';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface InvoiceCreatedData extends InvoiceTotals {
  id: string;
  customerId: string;
  currency: string;
  /** `billing_run` invoices are issued by the run that made them; `manual` ones start as drafts. */
  source: 'billing_run' | 'manual';
  /** The billing run's `asOf`, for invoices a run made. */
  billingRunAsOf: string | null;
  subscriptionIds: string[];
  lines: InvoiceLine[];
  memo: string | null;
  /**
   * The customer's tax rate the lines' taxes were computed with (kept as it was then); null when
   * none matched or the customer is tax exempt. Its `inclusive` flag says whether `taxTotal` is
   * contained in the line amounts or added to them. Schema version 2 (version 1 had no tax).
   */
  taxRate: TaxRateDefinition | null;
}

export interface InvoiceIssuedData {
  id: string;
  customerId: string;
  number: string;
  issuedAt: string;
  /** `YYYY-MM-DD`: the UTC day of `issuedAt` plus the customer's payment terms. */
  dueDate: string;
  /** Customer credit applied at issue (zero until payments and credit notes exist). */
  creditApplied: string;
  amountDue: string;
}

export type InvoiceCreated = DomainEvent<'InvoiceCreated', InvoiceCreatedData>;
export type InvoiceIssued = DomainEvent<'InvoiceIssued', InvoiceIssuedData>;
export type InvoiceEvent = InvoiceCreated | InvoiceIssued | InvoiceSettlementEvent;

export interface InvoiceView extends InvoiceCreatedData {
  status: InvoiceStatus;
  number: string | null;
  issuedAt: string | null;
  dueDate: string | null;
  amountPaid: string;
  amountCredited: string;
  amountDue: string;
  /** Customer credit applied at issue (part of `amountCredited`). */
  creditApplied: string;
  payments: InvoicePaymentRecord[];
  creditNotes: InvoiceCreditNoteRecord[];
  paidAt: string | null;
  voidedAt: string | null;
  markedUncollectibleAt: string | null;
  /** The reason given to void it or mark it uncollectible. */
  statusReason: string | null;
}

export type InvoiceState = { status: 'none' } | InvoiceView;

export const invoiceDecider = {
  initialState: (): InvoiceState => ({ status: 'none' }),
  evolve(state: InvoiceState, event: InvoiceEvent): InvoiceState {
    switch (event.type) {
      case 'InvoiceCreated':
        return {
          ...event.data,
          status: 'draft',
          number: null,
          issuedAt: null,
          dueDate: null,
          amountPaid: zeroIn(event.data.currency),
          amountCredited: zeroIn(event.data.currency),
          amountDue: event.data.total,
          ...unsettled(event.data.currency),
        };
      case 'InvoiceIssued':
        if (state.status === 'none') return state;
        return {
          ...state,
          status: isZero(event.data.amountDue) ? 'paid' : 'open',
          number: event.data.number,
          issuedAt: event.data.issuedAt,
          dueDate: event.data.dueDate,
          amountCredited: event.data.creditApplied,
          amountDue: event.data.amountDue,
          creditApplied: event.data.creditApplied,
          paidAt: isZero(event.data.amountDue) ? event.data.issuedAt : null,
        };
      default:
        return evolveSettlement(state, event);
    }
  },
};

/** Zero written in each currency seen, once (an invoice's evolve needs it twice; pure: the same text every time). */
const zeroTexts = new Map<string, string>();

function zeroIn(currency: string): string {
  let text = zeroTexts.get(currency);
  if (text === undefined) {
    // Only a known currency gets here (roundLineAmount refuses others), so the map stays small.
    text = roundLineAmount(parseDecimal('0', { maxDecimalPlaces: 0, allowNegative: false }), currency);
    zeroTexts.set(currency, text);
  }
  return text;
}

function isZero(amount: string): boolean {
  return parseDecimal(amount, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: true }).eq('0');
}

// ---- Draft one-off invoices ----------------------------------------------------------------

export interface CreateDraftInvoice {
  id: string;
  customerId: string;
  customerCurrency: string;
  lines: unknown;
  memo?: unknown;
  /** The customer's matching tax rate (null: none) and whether the customer is tax exempt. */
  taxRate?: TaxRateDefinition | null;
  taxExempt?: boolean;
}

export const MAX_INVOICE_LINES = 500;

export function createDraftInvoice(command: CreateDraftInvoice, state: InvoiceState): InvoiceEvent[] {
  if (state.status !== 'none') throw new ConflictError('invoice-exists', `invoice ${command.id} already exists`);
  const errors: FieldError[] = [];
  const drafts = draftLines(errors, command.lines, command.customerCurrency);
  if (command.memo != null && (typeof command.memo !== 'string' || command.memo.length > 2000)) {
    errors.push({ field: 'memo', message: 'must be a string of at most 2000 characters' });
  }
  if (errors.length > 0) throw new InvalidInputError(errors);
  const event = invoiceCreated({
    id: command.id,
    customerId: command.customerId,
    currency: command.customerCurrency,
    source: 'manual',
    billingRunAsOf: null,
    subscriptionIds: [],
    drafts,
    memo: (command.memo as string | undefined) ?? null,
    pricing: { discounts: [], taxRate: command.taxRate ?? null, taxExempt: command.taxExempt ?? false },
  });
  if (parseDecimal(event.data.total, { maxDecimalPlaces: 12, allowNegative: true }).lt('0')) {
    throw new RuleViolationError('negative-invoice-total', 'an invoice total cannot be negative; issue a credit note instead');
  }
  return [event];
}

export interface InvoiceSource {
  id: string;
  customerId: string;
  currency: string;
  source: InvoiceCreatedData['source'];
  billingRunAsOf: string | null;
  subscriptionIds: string[];
  drafts: readonly InvoiceLineDraft[];
  memo: string | null;
  /** Coupons over the drafts and the customer's tax; none: no discount and no tax. */
  pricing?: InvoicePricing;
}

export interface InvoicePricing {
  discounts: readonly CouponApplication[];
  taxRate: TaxRateDefinition | null;
  taxExempt: boolean;
}

/**
 * The invoice as created: discounts and tax are computed here, once (invoice-pricing.ts), and
 * kept on the lines; issuing never changes them.
 */
export function invoiceCreated(source: InvoiceSource): InvoiceCreated {
  const { drafts, pricing, ...rest } = source;
  const taxRate = pricing && !pricing.taxExempt ? pricing.taxRate : null;
  const { lines: pricedLines, ...totals } = priceInvoice(drafts, { currency: source.currency, discounts: pricing?.discounts ?? [], taxRate, taxExempt: false });
  // Numbering keeps every figure, so the priced totals are the numbered lines' totals.
  const lines = numberLines(source.id, pricedLines, source.currency);
  return {
    type: 'InvoiceCreated',
    data: { ...rest, lines, ...totals, taxRate },
  };
}

function draftLines(errors: FieldError[], value: unknown, currency: string): InvoiceLineDraft[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_INVOICE_LINES) {
    errors.push({ field: 'lines', message: `must be a list of 1 to ${MAX_INVOICE_LINES} lines` });
    return [];
  }
  return value.map((raw: Record<string, unknown>, index) => {
    const field = `lines[${index}]`;
    const description = raw?.description;
    if (typeof description !== 'string' || description.length === 0 || description.length > 500) {
      errors.push({ field: `${field}.description`, message: 'must be a non-empty string of at most 500 characters' });
    }
    const quantity = parseQuantityField(errors, `${field}.quantity`, raw?.quantity ?? '1') ?? '1';
    const unitAmount = unitAmountField(errors, `${field}.unitAmount`, raw?.unitAmount);
    const periodStart = optionalInstant(errors, `${field}.periodStart`, raw?.periodStart);
    const periodEnd = optionalInstant(errors, `${field}.periodEnd`, raw?.periodEnd);
    if ((periodStart === null) !== (periodEnd === null)) {
      errors.push({ field: `${field}.periodEnd`, message: 'periodStart and periodEnd go together' });
    } else if (periodStart !== null && periodEnd !== null && periodEnd <= periodStart) {
      errors.push({ field: `${field}.periodEnd`, message: 'must be after periodStart' });
    }
    const amount = unitAmount ? roundLineAmount(parseQuantity(quantity).times(unitAmount), currency) : '0';
    return {
      description: String(description),
      priceId: typeof raw?.priceId === 'string' ? raw.priceId : null,
      quantity,
      unitAmount: unitAmount ? unitAmount.toFixed() : null,
      amount,
      periodStart: periodStart === null ? null : formatInstant(periodStart),
      periodEnd: periodEnd === null ? null : formatInstant(periodEnd),
      proration: false,
    };
  });
}

function unitAmountField(errors: FieldError[], field: string, value: unknown): Big | null {
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a decimal string, e.g. "12.50"' });
    return null;
  }
  try {
    return parseDecimal(value, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: true });
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}

function optionalInstant(errors: FieldError[], field: string, value: unknown): Instant | null {
  if (value === undefined || value === null) return null;
  try {
    return parseInstant(field, value);
  } catch (error) {
    errors.push(...(error as InvalidInputError).errors);
    return null;
  }
}

// ---- Issuing -------------------------------------------------------------------------------

export interface IssueInvoice {
  id: string;
  issuedAt: Instant;
  /** The number the gapless sequence assigned to this invoice. */
  number: string;
  paymentTermsDays: number;
  /** Customer credit applied at issue (the customer's stream recorded it first); default zero. */
  creditApplied?: string;
}

/**
 * Issuing a draft. A draft whose total is negative (a billing run's proration credit larger than
 * its charges) is issued as Stripe does: amount due zero, so it is paid at once, and its negative
 * total becomes customer credit (`creditGrantedAtIssue`, recorded on the customer's stream first).
 */
export function issueInvoice(command: IssueInvoice, state: InvoiceState): InvoiceEvent[] {
  if (state.status === 'none') throw new NotFoundError('invoice', command.id);
  if (state.status !== 'draft') {
    throw new ConflictError('invoice-not-draft', `invoice ${command.id} is ${state.status}; only a draft can be issued`);
  }
  const creditApplied = Money.of(command.creditApplied ?? zeroIn(state.currency), state.currency);
  const owed = Money.of(state.amountDue, state.currency);
  const amountDue = owed.isNegative() ? Money.zero(state.currency) : owed;
  if (creditApplied.isNegative() || creditApplied.compare(amountDue) > 0) {
    throw new RuleViolationError('credit-exceeds-amount-due', `credit applied ${creditApplied} must be from zero to the amount due ${amountDue}`);
  }
  return [
    {
      type: 'InvoiceIssued',
      data: {
        id: command.id,
        customerId: state.customerId,
        number: command.number,
        issuedAt: formatInstant(command.issuedAt),
        dueDate: formatDate(addDays(command.issuedAt, command.paymentTermsDays)),
        creditApplied: creditApplied.toString(),
        amountDue: amountDue.minus(creditApplied).toString(),
      },
    },
  ];
}

/**
 * The customer credit an invoice makes when it is issued: its negative total, negated; zero for a
 * total of zero or more. (A draft's amount due is its total.)
 */
export function creditGrantedAtIssue(invoice: Pick<InvoiceView, 'total' | 'currency'>): Money {
  const total = Money.of(invoice.total, invoice.currency);
  return total.isNegative() ? total.negated() : Money.zero(invoice.currency);
}

// ---- Payments, credit notes, void and uncollectible ------------------------------------------
// (docs/billing.md, "Payments, credit notes and customer credit")

export interface InvoicePaymentRecord {
  paymentId: string;
  amount: string;
  at: string;
}

export interface InvoiceCreditNoteRecord {
  creditNoteId: string;
  /** The credit note's whole amount. */
  amount: string;
  /** The part that lowered this invoice's amount due; the rest became customer credit. */
  amountApplied: string;
  at: string;
}

export interface InvoicePaymentAppliedData {
  invoiceId: string;
  customerId: string;
  paymentId: string;
  amount: string;
  /** The payment's `receivedAt`. */
  at: string;
}

export interface InvoiceCreditedData {
  invoiceId: string;
  customerId: string;
  creditNoteId: string;
  /** The credit note's whole amount. */
  creditNoteAmount: string;
  /** What lowers the amount due: min(creditNoteAmount, amount due). */
  amount: string;
  /** The credit note's `issuedAt`. */
  at: string;
}

export interface InvoiceVoidedData {
  invoiceId: string;
  customerId: string;
  at: string;
  reason: string;
  /** Customer credit applied at issue, given back to the customer. */
  creditReturned: string;
}

export interface InvoiceMarkedUncollectibleData {
  invoiceId: string;
  customerId: string;
  at: string;
  reason: string;
  /** The amount written off; it stays due and a later payment may still pay it. */
  amountDue: string;
}

export type InvoicePaymentApplied = DomainEvent<'InvoicePaymentApplied', InvoicePaymentAppliedData>;
export type InvoiceCredited = DomainEvent<'InvoiceCredited', InvoiceCreditedData>;
export type InvoiceVoided = DomainEvent<'InvoiceVoided', InvoiceVoidedData>;
export type InvoiceMarkedUncollectible = DomainEvent<'InvoiceMarkedUncollectible', InvoiceMarkedUncollectibleData>;
export type InvoiceSettlementEvent = InvoicePaymentApplied | InvoiceCredited | InvoiceVoided | InvoiceMarkedUncollectible;

type SettlementFields = Pick<
  InvoiceView,
  'creditApplied' | 'payments' | 'creditNotes' | 'paidAt' | 'voidedAt' | 'markedUncollectibleAt' | 'statusReason'
>;

function unsettled(currency: string): SettlementFields {
  return {
    creditApplied: zeroIn(currency),
    payments: [],
    creditNotes: [],
    paidAt: null,
    voidedAt: null,
    markedUncollectibleAt: null,
    statusReason: null,
  };
}

function evolveSettlement(state: InvoiceState, event: InvoiceSettlementEvent): InvoiceState {
  if (state.status === 'none') return state;
  const money = (amount: string) => Money.of(amount, state.currency);
  switch (event.type) {
    case 'InvoicePaymentApplied': {
      const { paymentId, amount, at } = event.data;
      return paidOnceSettled(
        {
          ...state,
          amountPaid: money(state.amountPaid).plus(money(amount)).toString(),
          amountDue: money(state.amountDue).minus(money(amount)).toString(),
          payments: [...state.payments, { paymentId, amount, at }],
        },
        at,
      );
    }
    case 'InvoiceCredited': {
      const { creditNoteId, creditNoteAmount, amount, at } = event.data;
      return paidOnceSettled(
        {
          ...state,
          amountCredited: money(state.amountCredited).plus(money(amount)).toString(),
          amountDue: money(state.amountDue).minus(money(amount)).toString(),
          creditNotes: [...state.creditNotes, { creditNoteId, amount: creditNoteAmount, amountApplied: amount, at }],
        },
        at,
      );
    }
    case 'InvoiceVoided':
      return { ...state, status: 'void', voidedAt: event.data.at, statusReason: event.data.reason };
    case 'InvoiceMarkedUncollectible':
      return { ...state, status: 'uncollectible', markedUncollectibleAt: event.data.at, statusReason: event.data.reason };
    default:
      return state;
  }
}

/** An open or uncollectible invoice whose amount due reached zero is paid. */
function paidOnceSettled(invoice: InvoiceView, at: string): InvoiceView {
  if (!isPayable(invoice) || !isZero(invoice.amountDue)) return invoice;
  return { ...invoice, status: 'paid', paidAt: at };
}

/** Open and uncollectible invoices take payments and credit; a write-off can still be paid. */
export function isPayable(invoice: InvoiceView): boolean {
  return invoice.status === 'open' || invoice.status === 'uncollectible';
}

/** What the invoice can take of a payment now: its amount due while payable, else zero. */
export function amountPayable(invoice: InvoiceView): Money {
  return isPayable(invoice) ? Money.of(invoice.amountDue, invoice.currency) : Money.zero(invoice.currency);
}

function existingInvoice(state: InvoiceState, invoiceId: string): InvoiceView {
  if (state.status === 'none') throw new NotFoundError('invoice', invoiceId);
  return state;
}

/** The conflict for an invoice that cannot take money: 409 `invoice-paid` or `invoice-not-open`. */
export function notPayableError(invoice: InvoiceView): ConflictError {
  if (invoice.status === 'paid') return new ConflictError('invoice-paid', `invoice ${invoice.id} is paid`);
  return new ConflictError('invoice-not-open', `invoice ${invoice.id} is ${invoice.status}`);
}

export interface ApplyPaymentToInvoice {
  invoiceId: string;
  paymentId: string;
  /** A valid amount in the invoice's currency (the payment checked it). */
  amount: string;
  at: string;
}

/** Step 2 of a payment: part of it goes to this invoice. Once per payment and invoice. */
export function applyPaymentToInvoice(command: ApplyPaymentToInvoice, state: InvoiceState): InvoiceEvent[] {
  const invoice = existingInvoice(state, command.invoiceId);
  if (invoice.payments.some((payment) => payment.paymentId === command.paymentId)) return [];
  if (!isPayable(invoice)) throw notPayableError(invoice);
  const amount = Money.of(command.amount, invoice.currency);
  if (!amount.isPositive()) throw InvalidInputError.field('amount', 'must be more than zero');
  if (amount.compare(amountPayable(invoice)) > 0) {
    throw new RuleViolationError('payment-exceeds-amount-due', `${amount} is more than invoice ${invoice.id} owes (${invoice.amountDue})`);
  }
  const { invoiceId, paymentId, at } = command;
  return [{ type: 'InvoicePaymentApplied', data: { invoiceId, customerId: invoice.customerId, paymentId, amount: amount.toString(), at } }];
}

export interface CreditInvoice {
  invoiceId: string;
  creditNoteId: string;
  /** A valid amount above zero in the invoice's currency (the credit note checked it). */
  amount: string;
  at: string;
}

/**
 * A credit note against the invoice: it lowers the amount due by min(amount, amount due); the
 * rest becomes customer credit. Open, uncollectible and paid invoices take credit notes (as
 * Stripe's); drafts and void invoices do not. All credit notes together stay within the total.
 */
export function creditInvoice(command: CreditInvoice, state: InvoiceState): InvoiceEvent[] {
  const invoice = existingInvoice(state, command.invoiceId);
  const money = (amount: string) => Money.of(amount, invoice.currency);
  const amount = money(command.amount);
  const earlier = invoice.creditNotes.find((note) => note.creditNoteId === command.creditNoteId);
  if (earlier) {
    if (money(earlier.amount).equals(amount)) return [];
    throw new ConflictError('credit-note-exists', `credit note ${command.creditNoteId} already exists`);
  }
  if (invoice.status === 'draft' || invoice.status === 'void') throw notPayableError(invoice);
  assertNotBeforeIssue(invoice, command.at, 'a credit note');
  assertCreditNotesInDateOrder(invoice, command.at);
  const credited = invoice.creditNotes.reduce((total, note) => total.plus(money(note.amount)), Money.zero(invoice.currency));
  const creditable = money(invoice.total).minus(credited);
  if (amount.compare(creditable) > 0) {
    throw new RuleViolationError(
      'credit-note-exceeds-invoice',
      `credit notes on invoice ${invoice.id} may add up to its total; ${creditable} is left, ${amount} was asked`,
    );
  }
  const payable = amountPayable(invoice);
  const applied = amount.compare(payable) < 0 ? amount : payable;
  return [
    {
      type: 'InvoiceCredited',
      data: {
        invoiceId: invoice.id,
        customerId: invoice.customerId,
        creditNoteId: command.creditNoteId,
        creditNoteAmount: amount.toString(),
        amount: applied.toString(),
        at: command.at,
      },
    },
  ];
}

export interface EndInvoice {
  invoiceId: string;
  at: unknown;
  reason: unknown;
  wallClockNow: Instant;
}

/**
 * Void: the invoice is cancelled and owes nothing. Open or uncollectible invoices with no payment
 * and no credit note applied can be voided; customer credit applied at issue goes back to the
 * customer. A paid invoice: 409 `invoice-paid`; partly paid: 409 `invoice-partially-paid` (refund
 * or credit-note it instead); with credit notes: 409 `invoice-has-credit-notes`.
 */
export function voidInvoice(command: EndInvoice, state: InvoiceState): InvoiceEvent[] {
  const { at, reason } = endInput(command);
  const invoice = existingInvoice(state, command.invoiceId);
  if (!isPayable(invoice)) throw notPayableError(invoice);
  assertNotBeforeIssue(invoice, at, 'a void');
  if (!isZero(invoice.amountPaid)) {
    throw new ConflictError('invoice-partially-paid', `invoice ${invoice.id} has payments applied; it cannot be voided`);
  }
  if (invoice.creditNotes.length > 0) {
    throw new ConflictError('invoice-has-credit-notes', `invoice ${invoice.id} has credit notes; it cannot be voided`);
  }
  return [
    {
      type: 'InvoiceVoided',
      data: { invoiceId: invoice.id, customerId: invoice.customerId, at, reason, creditReturned: invoice.creditApplied },
    },
  ];
}

/** Write-off: open → uncollectible. The amount due stays; a later payment can still pay it. */
export function markInvoiceUncollectible(command: EndInvoice, state: InvoiceState): InvoiceEvent[] {
  const { at, reason } = endInput(command);
  const invoice = existingInvoice(state, command.invoiceId);
  if (invoice.status !== 'open') throw notPayableError(invoice);
  assertNotBeforeIssue(invoice, at, 'a write-off');
  return [
    {
      type: 'InvoiceMarkedUncollectible',
      data: { invoiceId: invoice.id, customerId: invoice.customerId, at, reason, amountDue: invoice.amountDue },
    },
  ];
}

/**
 * A void, write-off or credit note takes effect on its own date: one dated before the invoice was
 * issued would reverse, in the books of those days, an invoice that was not in them yet.
 * 422 `dated-before-issue` (Stripe's credit notes and voids cannot predate finalization either).
 */
function assertNotBeforeIssue(invoice: InvoiceView, at: string, what: string): void {
  if (invoice.issuedAt !== null && Date.parse(at) < Date.parse(invoice.issuedAt)) {
    throw new RuleViolationError(
      'dated-before-issue',
      `${what} dated ${at} is before invoice ${invoice.id} was issued (${invoice.issuedAt})`,
    );
  }
}

/**
 * An invoice's credit notes are dated in the order they are issued. Each reverses revenue by the
 * difference of two rounded shares of the invoice (before it, after it); a note dated before an
 * earlier-issued one would change the shares the later-dated note was posted with, and the
 * revenue of its days would depend on the order of recording. 422 `credit-note-out-of-order`.
 */
function assertCreditNotesInDateOrder(invoice: InvoiceView, at: string): void {
  const latest = invoice.creditNotes.reduce<string | null>(
    (found, note) => (found === null || Date.parse(note.at) > Date.parse(found) ? note.at : found),
    null,
  );
  if (latest !== null && Date.parse(at) < Date.parse(latest)) {
    throw new RuleViolationError(
      'credit-note-out-of-order',
      `a credit note dated ${at} is before invoice ${invoice.id}'s latest credit note (${latest}); date it on or after that`,
    );
  }
}

function endInput(command: EndInvoice): { at: string; reason: string } {
  const errors: FieldError[] = [];
  const at = businessInstantField(errors, 'at', command.at, command.wallClockNow);
  const reason = reasonField(errors, 'reason', command.reason);
  if (errors.length > 0 || at === null || reason === null) throw new InvalidInputError(errors);
  return { at: formatInstant(at), reason };
}
