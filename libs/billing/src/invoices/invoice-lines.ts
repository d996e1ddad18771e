import Big from 'big.js';
import { Money, roundToMinorUnit } from '@accrual/money';

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

export interface InvoiceLine extends InvoiceLineDraft {
  id: string;
  discountAmount: string;
  taxAmount: string;
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

/** Lines get their ids in order on the invoice: `<invoiceId>-1`, `<invoiceId>-2`, … */
export function numberLines(invoiceId: string, drafts: readonly InvoiceLineDraft[], currency: string): InvoiceLine[] {
  const zero = Money.zero(currency).toString();
  return drafts.map((draft, index) => ({
    ...draft,
    id: `${invoiceId}-${index + 1}`,
    discountAmount: zero,
    taxAmount: zero,
  }));
}

/**
 * Totals are sums of the already-rounded line figures, so the lines always add up to the totals.
 * Exclusive tax is added; discounts are subtracted (both zero until coupons and tax rates apply).
 */
export function totalsOf(lines: readonly InvoiceLine[], currency: string): InvoiceTotals {
  const sum = (pick: (line: InvoiceLine) => string) =>
    lines.reduce((total, line) => total.plus(Money.of(pick(line), currency)), Money.zero(currency));
  const subtotal = sum((line) => line.amount);
  const discountTotal = sum((line) => line.discountAmount);
  const taxTotal = sum((line) => line.taxAmount);
  return {
    subtotal: subtotal.toString(),
    discountTotal: discountTotal.toString(),
    taxTotal: taxTotal.toString(),
    total: subtotal.minus(discountTotal).plus(taxTotal).toString(),
  };
}
