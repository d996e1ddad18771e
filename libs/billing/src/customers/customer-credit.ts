import { Money } from '@accrual/money';
import { DomainEvent } from '../shared/decider';
import { InvalidInputError } from '../shared/errors';

/**
 * Customer credit: money a customer holds with us, per currency, kept on the customer's stream.
 * It grows by payment surpluses, credit notes beyond an invoice's amount due, customer credit
 * returned by a void and invoices issued with a negative total; it is spent when an invoice is issued, and revoked when the payment that
 * made it is refunded. Every change names what caused it, so a retried step is recognized and
 * never counted twice, and the balance never goes below zero.
 */
/** `invoice`: a billing-run invoice issued with a negative total (docs/billing.md, "Negative invoices"). */
export type CustomerCreditSource = 'payment' | 'credit_note' | 'invoice_void' | 'invoice';

export interface CustomerCreditGrantedData {
  customerId: string;
  currency: string;
  source: CustomerCreditSource;
  /** The payment, credit note, voided or negative invoice the credit comes from. */
  sourceId: string;
  amount: string;
}

export interface CustomerCreditAppliedData {
  customerId: string;
  currency: string;
  /** The invoice the credit was applied to when it was issued. */
  invoiceId: string;
  amount: string;
}

export interface CustomerCreditRevokedData {
  customerId: string;
  currency: string;
  source: 'refund';
  /** The refund that takes the credit back. */
  sourceId: string;
  paymentId: string;
  amount: string;
}

export type CustomerCreditGranted = DomainEvent<'CustomerCreditGranted', CustomerCreditGrantedData>;
export type CustomerCreditApplied = DomainEvent<'CustomerCreditApplied', CustomerCreditAppliedData>;
export type CustomerCreditRevoked = DomainEvent<'CustomerCreditRevoked', CustomerCreditRevokedData>;
export type CustomerCreditEvent = CustomerCreditGranted | CustomerCreditApplied | CustomerCreditRevoked;

export interface CustomerCredit {
  /** Currency → balance, a decimal string in the currency's minor unit. */
  balances: Record<string, string>;
  /** `<source>:<sourceId>` → amount granted. */
  grants: Record<string, string>;
  /** Invoice id → amount applied at issue. */
  applications: Record<string, string>;
  /** Refund id → amount revoked. */
  revocations: Record<string, string>;
}

export function emptyCustomerCredit(): CustomerCredit {
  return { balances: {}, grants: {}, applications: {}, revocations: {} };
}

export function grantKey(source: CustomerCreditSource, sourceId: string): string {
  return `${source}:${sourceId}`;
}

/** The balance in one currency, as Money (zero when the customer never held any). */
export function creditBalance(credit: CustomerCredit, currency: string): Money {
  const balance = credit.balances[currency];
  return balance === undefined ? Money.zero(currency) : Money.of(balance, currency);
}

export function evolveCustomerCredit(credit: CustomerCredit, event: CustomerCreditEvent): CustomerCredit {
  const { currency, amount } = event.data;
  const moved = (sign: 1 | -1) => {
    const delta = Money.of(amount, currency);
    const balance = creditBalance(credit, currency);
    return { ...credit.balances, [currency]: (sign === 1 ? balance.plus(delta) : balance.minus(delta)).toString() };
  };
  switch (event.type) {
    case 'CustomerCreditGranted':
      return {
        ...credit,
        balances: moved(1),
        grants: { ...credit.grants, [grantKey(event.data.source, event.data.sourceId)]: amount },
      };
    case 'CustomerCreditApplied':
      return { ...credit, balances: moved(-1), applications: { ...credit.applications, [event.data.invoiceId]: amount } };
    case 'CustomerCreditRevoked':
      return { ...credit, balances: moved(-1), revocations: { ...credit.revocations, [event.data.sourceId]: amount } };
    default:
      return credit;
  }
}

// ---- Decisions -------------------------------------------------------------------------------
// Each decision is idempotent by what caused it: the step of a multi-stream process that already
// happened decides nothing, so a retried process completes instead of duplicating.

export interface GrantCustomerCredit {
  customerId: string;
  currency: string;
  source: CustomerCreditSource;
  sourceId: string;
  amount: string;
}

export function grantCustomerCredit(command: GrantCustomerCredit, credit: CustomerCredit): CustomerCreditGranted[] {
  const amount = Money.of(command.amount, command.currency);
  if (amount.isNegative()) throw InvalidInputError.field('amount', 'credit granted must not be negative');
  if (amount.isZero() || credit.grants[grantKey(command.source, command.sourceId)] !== undefined) return [];
  return [{ type: 'CustomerCreditGranted', data: { ...command, amount: amount.toString() } }];
}

export interface ApplyCustomerCredit {
  customerId: string;
  currency: string;
  invoiceId: string;
  /** What the invoice owes before credit; the credit applied is at most this. */
  amountDue: string;
}

/** Applies min(balance, amount due) to an invoice being issued; once per invoice. */
export function applyCustomerCredit(command: ApplyCustomerCredit, credit: CustomerCredit): CustomerCreditApplied[] {
  if (credit.applications[command.invoiceId] !== undefined) return [];
  const amountDue = Money.of(command.amountDue, command.currency);
  const balance = creditBalance(credit, command.currency);
  const amount = balance.compare(amountDue) < 0 ? balance : amountDue;
  if (!amount.isPositive()) return [];
  const { amountDue: _amountDue, ...rest } = command;
  return [{ type: 'CustomerCreditApplied', data: { ...rest, amount: amount.toString() } }];
}

/** The credit an invoice received at issue: the recorded application, else zero. */
export function creditAppliedTo(credit: CustomerCredit, invoiceId: string, currency: string): string {
  return credit.applications[invoiceId] ?? Money.zero(currency).toString();
}

export interface RevokeCustomerCredit {
  customerId: string;
  currency: string;
  refundId: string;
  paymentId: string;
  /** The most the refund takes back; less when part of it was spent meanwhile. */
  amount: string;
}

/** Takes back min(amount, balance) for a refund; once per refund. */
export function revokeCustomerCredit(command: RevokeCustomerCredit, credit: CustomerCredit): CustomerCreditRevoked[] {
  if (credit.revocations[command.refundId] !== undefined) return [];
  const wanted = Money.of(command.amount, command.currency);
  const balance = creditBalance(credit, command.currency);
  const amount = balance.compare(wanted) < 0 ? balance : wanted;
  if (!amount.isPositive()) return [];
  return [
    {
      type: 'CustomerCreditRevoked',
      data: {
        customerId: command.customerId,
        currency: command.currency,
        source: 'refund',
        sourceId: command.refundId,
        paymentId: command.paymentId,
        amount: amount.toString(),
      },
    },
  ];
}
