import { Money } from '@accrual/money';
import { creditedRevenueAmount, CreditShare, RecognitionSchedule } from './recognition';

/**
 * The double-entry journal (docs/reporting.md, "Journal"). Six accounts, as the contract names
 * them; debit-normal: accounts receivable, cash; credit-normal: the rest.
 */
export const LEDGER_ACCOUNTS = [
  'accounts_receivable',
  'cash',
  'customer_credit',
  'deferred_revenue',
  'revenue',
  'tax_payable',
] as const;
export type LedgerAccount = (typeof LEDGER_ACCOUNTS)[number];

/** One side of a posting; amounts are decimal strings in the currency's minor unit, ≥ 0. */
export interface JournalLine {
  account: LedgerAccount;
  debit: string;
  credit: string;
}

/** Lines that together balance; zero lines are left out. */
export interface JournalPosting {
  currency: string;
  lines: JournalLine[];
}

/** Every posting balances, or it is a bug in the rules: refuse to store it (TigerBeetle style). */
export function assertBalanced(posting: JournalPosting): JournalPosting {
  const debits = sumOf(posting, (line) => line.debit);
  const credits = sumOf(posting, (line) => line.credit);
  if (!debits.equals(credits)) {
    throw new Error(`unbalanced journal posting in ${posting.currency}: debits ${debits}, credits ${credits}`);
  }
  for (const line of posting.lines) {
    if (Money.of(line.debit, posting.currency).isNegative() || Money.of(line.credit, posting.currency).isNegative()) {
      throw new Error(`journal line on ${line.account} has a negative side`);
    }
  }
  return posting;
}

function sumOf(posting: JournalPosting, pick: (line: JournalLine) => string): Money {
  return posting.lines.reduce((total, line) => total.plus(Money.of(pick(line), posting.currency)), Money.zero(posting.currency));
}

/** Builds a balanced posting from signed amounts: positive is a debit, negative a credit. */
export function postingOf(currency: string, signed: readonly [LedgerAccount, Money][]): JournalPosting {
  const lines: JournalLine[] = [];
  const zero = Money.zero(currency).toString();
  for (const [account, amount] of signed) {
    if (amount.isZero()) continue;
    lines.push(
      amount.isPositive()
        ? { account, debit: amount.toString(), credit: zero }
        : { account, debit: zero, credit: amount.negated().toString() },
    );
  }
  return assertBalanced({ currency, lines });
}

export interface IssuedInvoiceAmounts {
  currency: string;
  total: string;
  taxTotal: string;
  /** Σ of the lines' revenue (amount − discount, − tax when inclusive). */
  revenueTotal: string;
  creditApplied: string;
}

/**
 * Issue: Dr accounts receivable (total), Cr deferred revenue (revenue), Cr tax payable (tax); and
 * the customer credit applied at issue: Dr customer credit, Cr accounts receivable. A negative
 * revenue line (a manual credit line) simply lowers the figures; the posting still balances.
 * A negative total is no receivable: it becomes customer credit (Dr deferred revenue and tax
 * payable, Cr customer credit), as the invoice's issue granted it.
 */
export function invoiceIssuedPosting(invoice: IssuedInvoiceAmounts): JournalPosting {
  const money = (amount: string) => Money.of(amount, invoice.currency);
  const total = money(invoice.total);
  const tax = money(invoice.taxTotal);
  const revenue = money(invoice.revenueTotal);
  const granted = total.isNegative() ? total.negated() : Money.zero(invoice.currency);
  // total = revenue + tax for both exclusive and inclusive rates; a rounding gap would be a bug.
  return postingOf(invoice.currency, [
    ['accounts_receivable', total.plus(granted).minus(money(invoice.creditApplied))],
    ['customer_credit', money(invoice.creditApplied).minus(granted)],
    ['deferred_revenue', revenue.negated()],
    ['tax_payable', tax.negated()],
  ]);
}

/** Void reverses the issue: what was billed, taxed and applied from customer credit goes back. */
export function invoiceVoidedPosting(invoice: IssuedInvoiceAmounts): JournalPosting {
  const issued = invoiceIssuedPosting(invoice);
  return assertBalanced({
    currency: issued.currency,
    lines: issued.lines.map((line) => ({ account: line.account, debit: line.credit, credit: line.debit })),
  });
}

/** Money a payment put on an invoice: Dr cash, Cr accounts receivable. */
export function paymentAppliedPosting(currency: string, amount: string): JournalPosting {
  const money = Money.of(amount, currency);
  return postingOf(currency, [
    ['cash', money],
    ['accounts_receivable', money.negated()],
  ]);
}

/** The part of a payment no invoice took: Dr cash, Cr customer credit. */
export function paymentCreditPosting(currency: string, amount: string): JournalPosting {
  const money = Money.of(amount, currency);
  return postingOf(currency, [
    ['cash', money],
    ['customer_credit', money.negated()],
  ]);
}

/**
 * A refund: Cr cash. It takes back first the customer credit the payment made (Dr customer
 * credit); the rest comes out of money already applied to invoices that stay paid, so the
 * customer owes it again in the books: Dr accounts receivable.
 */
export function paymentRefundedPosting(currency: string, amount: string, creditRevoked: string): JournalPosting {
  const refund = Money.of(amount, currency);
  const credit = Money.of(creditRevoked, currency);
  return postingOf(currency, [
    ['customer_credit', credit],
    ['accounts_receivable', refund.minus(credit)],
    ['cash', refund.negated()],
  ]);
}

export interface CreditNoteAmounts {
  currency: string;
  amount: string;
  /** The part that lowered the invoice's amount due; the rest became customer credit. */
  amountApplied: string;
  creditAmount: string;
}

/**
 * A credit note reverses revenue in proportion: each line's revenue is scaled by what credit
 * notes leave of the invoice's total (share before → share after), the difference comes off
 * deferred revenue (the recognition transfer then recognizes less, as of the note's day); the
 * rest of the note is tax. Cr accounts receivable for the applied part, Cr customer credit for
 * the rest.
 */
export function creditNoteIssuedPosting(
  note: CreditNoteAmounts,
  schedules: readonly RecognitionSchedule[],
  before: CreditShare,
  after: CreditShare,
): JournalPosting {
  const money = (amount: string) => Money.of(amount, note.currency);
  const revenueReversed = revenueReversedBy(note.currency, schedules, before, after);
  return postingOf(note.currency, [
    ['deferred_revenue', revenueReversed],
    ['tax_payable', money(note.amount).minus(revenueReversed)],
    ['accounts_receivable', money(note.amountApplied).negated()],
    ['customer_credit', money(note.creditAmount).negated()],
  ]);
}

export function revenueReversedBy(
  currency: string,
  schedules: readonly RecognitionSchedule[],
  before: CreditShare,
  after: CreditShare,
): Money {
  return schedules.reduce(
    (total, schedule) => total.plus(creditedRevenueAmount(schedule, before)).minus(creditedRevenueAmount(schedule, after)),
    Money.zero(currency),
  );
}
