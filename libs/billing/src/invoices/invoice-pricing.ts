import { allocate, Money, parseDecimal, roundToMinorUnit, StrictBig } from '@accrual/money';
import { PERCENTAGE_DECIMALS } from '../catalog/percentage';
import { InvoiceLineDraft, InvoiceTotals, LineAdjustments, totalsOf } from './invoice-lines';

/**
 * Pricing an invoice's lines: discounts first, then tax, line by line (CONTRACT §4).
 *
 * - A percent-off coupon takes `amount × percentOff / 100` off each line it covers, rounded
 *   half-up per line. It covers negative lines too (a proration credit for time that was paid at
 *   the discounted price is credited at the discounted price).
 * - An amount-off coupon takes `min(amountOff, the covered lines' subtotal)` (never below zero)
 *   off the covered lines, spread over the positive ones in proportion to their amounts, each
 *   share rounded half-up and the rounding residue on the last of them, so the parts sum exactly.
 *   It only applies in its own currency.
 * - Tax is computed per line on `amount − discountAmount` and rounded half-up: an exclusive rate
 *   adds `base × rate / 100`; an inclusive rate is contained in the base, `base × rate / (100 + rate)`,
 *   and is not added again. A tax-exempt customer, or one without a matching rate, pays none.
 * Every figure is rounded once per line, and the totals are sums of the rounded lines.
 */

export type CouponDiscount =
  | { kind: 'percent'; percentOff: string }
  | { kind: 'amount'; amountOff: string; currency: string };

/** One coupon over some of the invoice's lines (indexes into the drafts): the lines of one subscription. */
export interface CouponApplication {
  couponDiscount: CouponDiscount;
  lineIndexes: readonly number[];
}

/** The part of a tax rate pricing needs. */
export interface TaxTreatment {
  percentage: string;
  inclusive: boolean;
}

export interface PricingOptions {
  currency: string;
  /** A coupon over every line (a single-subscription or one-off invoice). */
  couponDiscount?: CouponDiscount | null;
  /** Or coupons over some lines each (a consolidated invoice); not both. */
  discounts?: readonly CouponApplication[];
  taxRate?: TaxTreatment | null;
  taxExempt: boolean;
}

export type PricedLineDraft = InvoiceLineDraft & LineAdjustments;

export interface PricedInvoice extends InvoiceTotals {
  lines: PricedLineDraft[];
}

const HUNDRED = new StrictBig('100');

export function priceInvoice(drafts: readonly InvoiceLineDraft[], options: PricingOptions): PricedInvoice {
  const { currency } = options;
  const zero = Money.zero(currency);
  const zeroText = zero.toString();
  const discounts = discountAmountsOf(drafts, zero, applicationsOf(drafts, options));
  const taxRate = options.taxExempt ? null : (options.taxRate ?? null);
  // Without a tax rate the base is not needed: totalsOf still checks every amount against the currency.
  const lines = drafts.map((draft, index) => {
    const discount = discounts[index];
    const tax = taxRate === null ? zero : taxOf(Money.of(draft.amount, currency).minus(discount), taxRate);
    return { ...draft, discountAmount: discount === zero ? zeroText : discount.toString(), taxAmount: tax === zero ? zeroText : tax.toString() };
  });
  return { lines, ...totalsOf(lines, currency, taxRate?.inclusive ?? false) };
}

function applicationsOf(drafts: readonly InvoiceLineDraft[], options: PricingOptions): readonly CouponApplication[] {
  if (options.couponDiscount && options.discounts) throw new Error('priceInvoice takes couponDiscount or discounts, not both');
  if (options.discounts) return options.discounts;
  if (!options.couponDiscount) return [];
  return [{ couponDiscount: options.couponDiscount, lineIndexes: drafts.map((_draft, index) => index) }];
}

/** Each line's discount; a line is covered by one coupon at most (its subscription's). */
function discountAmountsOf(drafts: readonly InvoiceLineDraft[], zero: Money, applications: readonly CouponApplication[]): Money[] {
  const { currency } = zero;
  // Money is immutable: every uncovered line shares the one zero.
  const discounts: Money[] = new Array<Money>(drafts.length).fill(zero);
  const covered = new Set<number>();
  for (const application of applications) {
    for (const index of application.lineIndexes) {
      if (!Number.isInteger(index) || index < 0 || index >= drafts.length || covered.has(index)) {
        throw new Error(`coupon line index ${index} is out of range or covered twice`);
      }
      covered.add(index);
    }
    const amounts = application.lineIndexes.map((index) => Money.of(drafts[index].amount, currency));
    const parts = discountsOf(amounts, application.couponDiscount, currency);
    application.lineIndexes.forEach((index, position) => (discounts[index] = parts[position]));
  }
  return discounts;
}

function discountsOf(amounts: readonly Money[], discount: CouponDiscount, currency: string): Money[] {
  if (discount.kind === 'percent') return percentOff(amounts, discount.percentOff, currency);
  if (discount.currency !== currency) return amounts.map(() => Money.zero(currency));
  return amountOff(amounts, Money.of(discount.amountOff, currency));
}

function percentOff(amounts: readonly Money[], percentage: string, currency: string): Money[] {
  const fraction = percent(percentage).div(HUNDRED);
  return amounts.map((amount) => roundToMinorUnit(amount.times(fraction), currency, 'half_up'));
}

/**
 * Never more than the covered lines' subtotal, so a discount never makes a total negative; spread
 * over the positive lines only, so no line is discounted below zero and none gets a negative share.
 */
function amountOff(amounts: readonly Money[], couponAmount: Money): Money[] {
  const zero = Money.zero(couponAmount.currency);
  const subtotal = amounts.reduce((total, amount) => total.plus(amount), zero);
  const capped = subtotal.compare(couponAmount) < 0 ? subtotal : couponAmount;
  const discounts = amounts.map(() => zero);
  const positive = amounts.flatMap((amount, index) => (amount.isPositive() ? [index] : []));
  if (!capped.isPositive() || positive.length === 0) return discounts;
  const weights = positive.map((index) => amounts[index]);
  const parts = spreadWithResidueOnLast(capped, weights) ?? allocate(capped, weights.map((amount) => amount.amount));
  positive.forEach((index, position) => (discounts[index] = parts[position]));
  return discounts;
}

/**
 * Each line but the last takes its proportional share rounded half-up; the last takes what is
 * left, so the parts sum exactly to the discount. Null in the rare case where the rounded shares
 * would leave the last line a part below zero or above its amount (many tiny shares all rounding
 * up); then `allocate` spreads it by cumulative shares instead, which never does.
 */
function spreadWithResidueOnLast(total: Money, weights: readonly Money[]): Money[] | null {
  const weightTotal = weights.reduce((sum, weight) => sum.plus(weight), Money.zero(total.currency));
  const parts = weights
    .slice(0, -1)
    .map((weight) => roundToMinorUnit(total.times(weight.amount).div(weightTotal.amount), total.currency, 'half_up'));
  const last = parts.reduce((rest, part) => rest.minus(part), total);
  if (last.isNegative() || last.compare(weights[weights.length - 1]) > 0) return null;
  return [...parts, last];
}

function taxOf(base: Money, taxRate: TaxTreatment): Money {
  const rate = percent(taxRate.percentage);
  const divisor = taxRate.inclusive ? HUNDRED.plus(rate) : HUNDRED;
  return roundToMinorUnit(base.times(rate).div(divisor), base.currency, 'half_up');
}

function percent(text: string) {
  return parseDecimal(text, { maxDecimalPlaces: PERCENTAGE_DECIMALS, allowNegative: false });
}
