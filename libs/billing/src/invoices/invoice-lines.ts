import Big from 'big.js';
import { formatDecimal, minorUnitDigits, Money, parseAmount, roundToMinorUnit } from '@accrual/money';

/** An invoice line before the invoice exists: amounts are decimal strings in major units. */
export interface InvoiceLineDraft {
  description: string;
  priceId: string | null;
  quantity: string;
  /** The price's unit amount (up to 12 decimals); null where no single unit price applies (tiers). */
  unitAmount: string | null;
  /** Rounded half-up to the currency's minor unit, once, at full precision before. */
  amount: string;
  periodStart: string | null;
  periodEnd: string | null;
  proration: boolean;
}

/** What a coupon and the customer's tax rate make of a line (invoice-pricing.ts); zero where none applies. */
export interface LineAdjustments {
  /** The line's share of the discount, taken off before tax. */
  discountAmount: string;
  /** Tax on (amount − discountAmount): added on top, or contained in it for an inclusive rate. */
  taxAmount: string;
}

export interface InvoiceLine extends InvoiceLineDraft, LineAdjustments {
  id: string;
}

export interface InvoiceTotals {
  subtotal: string;
  discountTotal: string;
  taxTotal: string;
  total: string;
}

/** Rounds a full-precision amount to the line's currency, half-up, as the contract requires. */
export function roundLineAmount(amount: Big, currency: string): string {
  return roundToMinorUnit(amount, currency, 'half_up').toString();
}

/**
 * Lines get their ids in order on the invoice: `<invoiceId>-1`, `<invoiceId>-2`, … A draft that
 * was priced keeps its discount and tax; one that was not gets zero for both.
 */
export function numberLines(
  invoiceId: string,
  drafts: readonly (InvoiceLineDraft & Partial<LineAdjustments>)[],
  currency: string,
): InvoiceLine[] {
  const zero = Money.zero(currency).toString();
  return drafts.map(({ discountAmount, taxAmount, ...draft }, index) => ({
    ...draft,
    id: `${invoiceId}-${index + 1}`,
    discountAmount: discountAmount ?? zero,
    taxAmount: taxAmount ?? zero,
  }));
}

/**
 * Totals are sums of the already-rounded line figures, so the lines always add up to the totals.
 * Discounts are subtracted; exclusive tax is added, while inclusive tax is already contained in
 * the line amounts (it is reported in `taxTotal` but not added again).
 * Each figure is checked against the currency as `Money.of` checks it (at most its minor-unit
 * places) and summed exactly in big.js: Money is made once per total, not once per line and per
 * sum (a Money per step was the largest part of pricing a billing run's invoices).
 */
export function totalsOf<Line extends Pick<InvoiceLineDraft, 'amount'> & LineAdjustments>(
  lines: readonly Line[],
  currency: string,
  taxInclusive = false,
): InvoiceTotals {
  const zero = Money.zero(currency);
  let subtotal = zero.amount;
  let discountTotal = zero.amount;
  let taxTotal = zero.amount;
  for (const line of lines) {
    subtotal = subtotal.plus(parseAmount(line.amount, currency));
    discountTotal = discountTotal.plus(parseAmount(line.discountAmount, currency));
    taxTotal = taxTotal.plus(parseAmount(line.taxAmount, currency));
  }
  const total = subtotal.minus(discountTotal).plus(taxInclusive ? zero.amount : taxTotal);
  // Written as Money writes an amount: exactly the currency's minor-unit places, and zero without a sign.
  const text = (amount: Big) => (amount.eq(zero.amount) ? zero.toString() : formatDecimal(amount, minorUnitDigits(currency)));
  return { subtotal: text(subtotal), discountTotal: text(discountTotal), taxTotal: text(taxTotal), total: text(total) };
}
