import { isCurrencyCode, Money } from '@accrual/money';
import { CustomerProfile } from '../customers/customer';
import { amountPayable, applyPaymentToInvoice, InvoiceEvent, InvoiceState, InvoiceView, isPayable } from '../invoices/invoice';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { formatInstant, Instant } from '../time/instant';
import { businessInstantField, minMoney, positiveAmountField, reasonField } from './settlement-input';

/**
 * A payment is a multi-stream process (docs/billing.md, "Payments, credit notes and customer
 * credit"): (1) `PaymentReceived` records the money and the allocation plan made from the
 * invoices as they were; (2) each planned invoice gets `InvoicePaymentApplied`, at most what it
 * still owes; (3) what no invoice took becomes customer credit; (4) `PaymentSettled` records the
 * outcome. A retry re-drives whatever step is missing; each step is idempotent by the payment id.
 */

export interface PaymentAllocation {
  invoiceId: string;
  amount: string;
}

export interface PaymentReceivedData {
  id: string;
  customerId: string;
  amount: string;
  currency: string;
  receivedAt: string;
  method: string;
  reference: string | null;
  /** The invoice the payer named, if any. */
  invoiceId: string | null;
  /** The plan, from the invoices' state when the payment arrived. */
  allocations: PaymentAllocation[];
  /** What the plan leaves for customer credit. */
  creditAmount: string;
}

export interface PaymentSettledData {
  paymentId: string;
  customerId: string;
  currency: string;
  /** What each invoice actually took (an invoice paid meanwhile takes less than planned). */
  allocations: PaymentAllocation[];
  /** What became customer credit: the amount less the allocations. */
  creditAmount: string;
}

export interface PaymentRefundedData {
  paymentId: string;
  customerId: string;
  /** `<paymentId>-refund-<n>`. */
  refundId: string;
  amount: string;
  currency: string;
  at: string;
  reason: string;
  /**
   * The customer credit this payment made that the refund takes back, at most (the customer's
   * stream records what was revoked; less only if the credit was spent in between).
   */
  creditToRevoke: string;
}

export type PaymentReceived = DomainEvent<'PaymentReceived', PaymentReceivedData>;
export type PaymentSettled = DomainEvent<'PaymentSettled', PaymentSettledData>;
export type PaymentRefunded = DomainEvent<'PaymentRefunded', PaymentRefundedData>;
export type PaymentEvent = PaymentReceived | PaymentSettled | PaymentRefunded;

export interface PaymentRefund {
  id: string;
  amount: string;
  at: string;
  reason: string;
  creditToRevoke: string;
}

export interface PaymentView extends Omit<PaymentReceivedData, 'allocations' | 'creditAmount'> {
  /** `pending` until every step of the payment is done; then `settled`. */
  status: 'pending' | 'settled';
  /** Planned while pending; what the invoices took once settled. */
  allocations: PaymentAllocation[];
  creditAmount: string;
  amountRefunded: string;
  refunds: PaymentRefund[];
}

export type PaymentState = { status: 'none' } | PaymentView;

/** At most this many invoices share one payment (a limit on everything); the rest is credit. */
export const PAYMENT_ALLOCATIONS_MAX = 100;
export const PAYMENT_METHOD_LENGTH_MAX = 64;
export const PAYMENT_REFERENCE_LENGTH_MAX = 200;

export const paymentDecider = {
  initialState: (): PaymentState => ({ status: 'none' }),
  evolve(state: PaymentState, event: PaymentEvent): PaymentState {
    switch (event.type) {
      case 'PaymentReceived':
        return { ...event.data, status: 'pending', amountRefunded: Money.zero(event.data.currency).toString(), refunds: [] };
      case 'PaymentSettled':
        if (state.status === 'none') return state;
        return { ...state, status: 'settled', allocations: event.data.allocations, creditAmount: event.data.creditAmount };
      case 'PaymentRefunded': {
        if (state.status === 'none') return state;
        const { refundId, amount, at, reason, creditToRevoke } = event.data;
        return {
          ...state,
          amountRefunded: Money.of(state.amountRefunded, state.currency).plus(Money.of(amount, state.currency)).toString(),
          refunds: [...state.refunds, { id: refundId, amount, at, reason, creditToRevoke }],
        };
      }
      default:
        return state;
    }
  },
};

// ---- Receiving -------------------------------------------------------------------------------

export interface ReceivePayment {
  id: string;
  customerId: string;
  amount: unknown;
  currency: unknown;
  receivedAt: unknown;
  method: unknown;
  reference?: unknown;
  invoiceId?: unknown;
}

/** A payment request whose fields passed the input checks. */
export interface PaymentRequest {
  id: string;
  customerId: string;
  amount: Money;
  receivedAt: Instant;
  method: string;
  reference: string | null;
  invoiceId: string | null;
}

export function parsePaymentRequest(command: ReceivePayment, wallClockNow: Instant): PaymentRequest {
  const errors: FieldError[] = [];
  const currency = typeof command.currency === 'string' && isCurrencyCode(command.currency) ? command.currency : null;
  if (currency === null) errors.push({ field: 'currency', message: 'must be an ISO 4217 currency code' });
  const amount = currency === null ? null : positiveAmountField(errors, 'amount', command.amount, currency);
  const receivedAt = businessInstantField(errors, 'receivedAt', command.receivedAt, wallClockNow);
  const method = boundedText(errors, 'method', command.method, PAYMENT_METHOD_LENGTH_MAX);
  const reference = command.reference == null ? null : boundedText(errors, 'reference', command.reference, PAYMENT_REFERENCE_LENGTH_MAX);
  if (command.invoiceId != null && typeof command.invoiceId !== 'string') errors.push({ field: 'invoiceId', message: 'must be an invoice id' });
  if (errors.length > 0 || amount === null || receivedAt === null || method === null) throw new InvalidInputError(errors);
  const invoiceId = (command.invoiceId as string | null | undefined) ?? null;
  return { id: command.id, customerId: command.customerId, amount, receivedAt, method, reference, invoiceId };
}

function boundedText(errors: FieldError[], field: string, value: unknown, max: number): string | null {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    errors.push({ field, message: `must be a non-empty string of at most ${max} characters` });
    return null;
  }
  return value;
}

/** The same request again (a retry): every field equal, amounts and instants by value. */
export function isSamePayment(payment: PaymentView, request: PaymentRequest): boolean {
  return (
    payment.customerId === request.customerId &&
    payment.currency === request.amount.currency &&
    Money.of(payment.amount, payment.currency).equals(request.amount) &&
    payment.receivedAt === formatInstant(request.receivedAt) &&
    payment.method === request.method &&
    payment.reference === request.reference &&
    payment.invoiceId === request.invoiceId
  );
}

export interface PaymentContext {
  customer: CustomerProfile;
  /** The named invoice, read from its stream (authoritative), when the payer named one. */
  invoice: InvoiceState | null;
  /** The customer's open invoices in the payment's currency, when no invoice is named. */
  openInvoices: readonly InvoiceView[];
}

/**
 * Step 1. A repeat of the same request decides nothing (the caller re-drives the remaining steps);
 * the same id with another request is 409 `payment-exists`. A named invoice must belong to the
 * customer (422 `invoice-customer-mismatch`) and take payments (409 `invoice-not-open` for a draft
 * or a void one); a paid one sends the whole payment to customer credit.
 */
export function receivePayment(request: PaymentRequest, state: PaymentState, context: PaymentContext): PaymentEvent[] {
  if (state.status !== 'none') {
    if (isSamePayment(state, request)) return [];
    throw new ConflictError('payment-exists', `payment ${request.id} already exists with other details`);
  }
  const currency = request.amount.currency;
  if (currency !== context.customer.currency) {
    throw new RuleViolationError('currency-mismatch', `customer ${context.customer.id} pays in ${context.customer.currency}, not ${currency}`);
  }
  const plan = planPaymentAllocation(request.amount, targetInvoices(request, context));
  return [
    {
      type: 'PaymentReceived',
      data: {
        id: request.id,
        customerId: request.customerId,
        amount: request.amount.toString(),
        currency,
        receivedAt: formatInstant(request.receivedAt),
        method: request.method,
        reference: request.reference,
        invoiceId: request.invoiceId,
        allocations: plan.allocations,
        creditAmount: plan.creditAmount.toString(),
      },
    },
  ];
}

function targetInvoices(request: PaymentRequest, context: PaymentContext): readonly InvoiceView[] {
  if (request.invoiceId === null) return context.openInvoices.filter((invoice) => invoice.status === 'open');
  const invoice = context.invoice;
  if (invoice === null || invoice.status === 'none') throw new NotFoundError('invoice', request.invoiceId);
  if (invoice.customerId !== request.customerId) {
    throw new RuleViolationError('invoice-customer-mismatch', `invoice ${invoice.id} belongs to another customer`);
  }
  if (invoice.currency !== request.amount.currency) {
    throw new RuleViolationError('currency-mismatch', `invoice ${invoice.id} is in ${invoice.currency}, not ${request.amount.currency}`);
  }
  if (invoice.status === 'draft' || invoice.status === 'void') {
    throw new ConflictError('invoice-not-open', `invoice ${invoice.id} is ${invoice.status}; it takes no payment`);
  }
  return [invoice];
}

export interface AllocationPlan {
  allocations: PaymentAllocation[];
  creditAmount: Money;
}

/** Oldest due first: due date, then issue instant, then number (plain comparisons, locale-free). */
export function compareOldestDueFirst(left: InvoiceView, right: InvoiceView): number {
  const keys = (invoice: InvoiceView) => [invoice.dueDate ?? '', invoice.issuedAt ?? '', invoice.number ?? '', invoice.id];
  const [a, b] = [keys(left), keys(right)];
  for (let index = 0; index < a.length; index++) {
    if (a[index] !== b[index]) return a[index] < b[index] ? -1 : 1;
  }
  return 0;
}

/**
 * Spreads an amount over invoices that take payments, oldest due first, each up to what it owes
 * (at most PAYMENT_ALLOCATIONS_MAX of them); what is left is customer credit.
 */
export function planPaymentAllocation(amount: Money, invoices: readonly InvoiceView[]): AllocationPlan {
  const candidates = invoices.filter((invoice) => isPayable(invoice) && amountPayable(invoice).isPositive());
  const ordered = [...candidates].sort(compareOldestDueFirst).slice(0, PAYMENT_ALLOCATIONS_MAX);
  const allocations: PaymentAllocation[] = [];
  let remaining = amount;
  for (const invoice of ordered) {
    if (!remaining.isPositive()) break;
    const share = minMoney(remaining, amountPayable(invoice));
    allocations.push({ invoiceId: invoice.id, amount: share.toString() });
    remaining = remaining.minus(share);
  }
  return { allocations, creditAmount: remaining };
}

// ---- Applying --------------------------------------------------------------------------------

/**
 * Step 2 for one planned share: the invoice takes the share, or what it still owes when that is
 * less (it was paid or credited since the plan); the shortfall becomes customer credit. Decides
 * nothing when the invoice took this payment already, or can take nothing now.
 */
export function applyPaymentShare(payment: PaymentView, share: PaymentAllocation, invoice: InvoiceState): InvoiceEvent[] {
  if (invoice.status === 'none' || invoice.payments.some((applied) => applied.paymentId === payment.id)) return [];
  const fit = minMoney(Money.of(share.amount, payment.currency), amountPayable(invoice));
  if (!fit.isPositive()) return [];
  return applyPaymentToInvoice({ invoiceId: share.invoiceId, paymentId: payment.id, amount: fit.toString(), at: payment.receivedAt }, invoice);
}

/** What the invoice took of the payment (zero when nothing). */
export function amountTakenBy(invoice: InvoiceState, paymentId: string, currency: string): string {
  const applied = invoice.status === 'none' ? undefined : invoice.payments.find((payment) => payment.paymentId === paymentId);
  return applied?.amount ?? Money.zero(currency).toString();
}

// ---- Settling --------------------------------------------------------------------------------

/** Step 4: what the invoices took (zero shares dropped); the rest was granted as credit. */
export function settlePayment(state: PaymentState, applied: readonly PaymentAllocation[]): PaymentEvent[] {
  if (state.status === 'none') throw new Error('settlePayment: no payment');
  if (state.status === 'settled') return [];
  const money = (amount: string) => Money.of(amount, state.currency);
  const allocations = applied.filter((allocation) => money(allocation.amount).isPositive());
  const allocated = allocations.reduce((total, allocation) => total.plus(money(allocation.amount)), Money.zero(state.currency));
  const creditAmount = money(state.amount).minus(allocated);
  // Safety: a payment never allocates more than it brought.
  if (creditAmount.isNegative()) throw new Error(`payment ${state.id} allocated ${allocated}, more than its ${state.amount}`);
  return [
    {
      type: 'PaymentSettled',
      data: { paymentId: state.id, customerId: state.customerId, currency: state.currency, allocations, creditAmount: creditAmount.toString() },
    },
  ];
}

// ---- Refunding -------------------------------------------------------------------------------

export interface RefundPayment {
  paymentId: string;
  /** Default: everything still refundable. */
  amount?: unknown;
  at: unknown;
  reason: unknown;
  wallClockNow: Instant;
}

/** A refund request whose fields passed the input checks, in the payment's currency. */
export interface RefundRequest {
  paymentId: string;
  /** Null: everything still refundable. */
  amount: Money | null;
  at: string;
  reason: string;
}

export function parseRefundRequest(command: RefundPayment, currency: string): RefundRequest {
  const errors: FieldError[] = [];
  const at = businessInstantField(errors, 'at', command.at, command.wallClockNow);
  const reason = reasonField(errors, 'reason', command.reason);
  const amount = command.amount == null ? null : positiveAmountField(errors, 'amount', command.amount, currency);
  if (errors.length > 0 || at === null || reason === null) throw new InvalidInputError(errors);
  return { paymentId: command.paymentId, amount, at: formatInstant(at), reason };
}

export interface RefundContext {
  /** The customer's credit balance in the payment's currency now. */
  creditBalance: Money;
}

/**
 * Records a refund of a settled payment. At most what is refundable (amount less refunds): 422
 * `refund-exceeds-payment`. The refund takes back first the customer credit this payment made
 * (as far as the customer still holds it); money already applied to invoices stays applied (as
 * with Stripe, a refund does not reopen an invoice). A refund with the same `at` and `reason`
 * (and amount, when given) as an earlier one is that refund retried: it decides nothing.
 */
/**
 * The amount a refund takes: the one asked, or everything still refundable; more than refundable
 * (the amount less earlier refunds) is 422 `refund-exceeds-payment`. The handler asks this before
 * completing a pending payment, so a refused refund writes nothing.
 */
export function refundAmount(request: RefundRequest, payment: PaymentView): Money {
  const money = (amount: string) => Money.of(amount, payment.currency);
  const refundable = money(payment.amount).minus(money(payment.amountRefunded));
  const amount = request.amount ?? refundable;
  if (!amount.isPositive() || amount.compare(refundable) > 0) {
    throw new RuleViolationError('refund-exceeds-payment', `payment ${payment.id} has ${refundable} left to refund, ${amount} was asked`);
  }
  return amount;
}

/** An earlier refund with the same `at` and `reason` (and amount, when given): this one retried. */
export function isRetriedRefund(request: RefundRequest, payment: PaymentView): boolean {
  return payment.refunds.some(
    (refund) =>
      refund.at === request.at &&
      refund.reason === request.reason &&
      (request.amount === null || Money.of(refund.amount, payment.currency).equals(request.amount)),
  );
}

export function refundPayment(request: RefundRequest, state: PaymentState, context: RefundContext): PaymentEvent[] {
  if (state.status === 'none') throw new NotFoundError('payment', request.paymentId);
  if (state.status !== 'settled') throw new ConflictError('payment-pending', `payment ${state.id} is not settled yet; retry`);
  if (isRetriedRefund(request, state)) return [];
  const money = (amount: string) => Money.of(amount, state.currency);
  const amount = refundAmount(request, state);
  const creditLeft = state.refunds.reduce((left, refund) => left.minus(money(refund.creditToRevoke)), money(state.creditAmount));
  const creditToRevoke = minMoney(minMoney(amount, creditLeft), context.creditBalance);
  return [
    {
      type: 'PaymentRefunded',
      data: {
        paymentId: state.id,
        customerId: state.customerId,
        refundId: `${state.id}-refund-${state.refunds.length + 1}`,
        amount: amount.toString(),
        currency: state.currency,
        at: request.at,
        reason: request.reason,
        creditToRevoke: (creditToRevoke.isNegative() ? Money.zero(state.currency) : creditToRevoke).toString(),
      },
    },
  ];
}
