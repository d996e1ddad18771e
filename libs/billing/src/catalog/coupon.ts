import { isCurrencyCode, Money } from '@accrual/money';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError } from '../shared/errors';
import { ID_PATTERN } from '../shared/ids';
import type { InvoiceLineDraft } from '../invoices/invoice-lines';
import type { CouponApplication, CouponDiscount } from '../invoices/invoice-pricing';
import type { ActiveSubscription } from '../subscriptions/subscription';
import { boundary } from '../time/calendar';
import { Instant } from '../time/instant';
import { percentageField } from './percentage';

export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type CouponDuration = (typeof COUPON_DURATIONS)[number];

/** A repeating coupon runs for 1 to 120 calendar months. */
export const MAX_COUPON_DURATION_MONTHS = 120;

/**
 * A coupon: percent off, or an amount off in one currency. Immutable once created.
 * `once` discounts a subscription's first invoice; `repeating` the service periods that start in
 * the first `durationInMonths` calendar months from the subscription's start; `forever` all.
 */
export interface CouponDefinition {
  id: string;
  /** Percent, above 0 and at most 100, up to 4 decimals; null for an amount-off coupon. */
  percentOff: string | null;
  /** In `currency`'s minor unit; null for a percent-off coupon. */
  amountOff: string | null;
  /** The amount-off coupon's currency; null for a percent-off coupon. */
  currency: string | null;
  duration: CouponDuration;
  durationInMonths: number | null;
}

export type CouponCreated = DomainEvent<'CouponCreated', CouponDefinition>;
export type CouponEvent = CouponCreated;
export type CouponState = { status: 'none' } | { status: 'active'; coupon: CouponDefinition };

export const couponDecider = {
  initialState: (): CouponState => ({ status: 'none' }),
  evolve: (state: CouponState, event: CouponEvent): CouponState => {
    switch (event.type) {
      case 'CouponCreated':
        return { status: 'active', coupon: event.data };
      default:
        return state;
    }
  },
};

export interface CreateCoupon {
  id: string;
  percentOff?: unknown;
  amountOff?: unknown;
  currency?: unknown;
  duration: unknown;
  durationInMonths?: unknown;
}

export function createCoupon(command: CreateCoupon, state: CouponState): CouponEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('coupon-exists', `coupon ${command.id} already exists; coupons are immutable`);
  }
  const errors: FieldError[] = [];
  if (!ID_PATTERN.test(command.id)) errors.push({ field: 'id', message: 'must match ^[A-Za-z0-9_-]{1,64}$' });
  const discount = discountFields(command, errors);
  const duration = durationFields(command, errors);
  if (errors.length > 0 || discount === null || duration === null) throw new InvalidInputError(errors);
  return [{ type: 'CouponCreated', data: { id: command.id, ...discount, ...duration } }];
}

type DiscountFields = Pick<CouponDefinition, 'percentOff' | 'amountOff' | 'currency'>;

/** Exactly one of percentOff and amountOff; a currency goes with amountOff, and only with it. */
function discountFields(command: CreateCoupon, errors: FieldError[]): DiscountFields | null {
  const hasPercent = command.percentOff != null;
  const hasAmount = command.amountOff != null;
  if (hasPercent === hasAmount) {
    errors.push({ field: hasPercent ? 'amountOff' : 'percentOff', message: 'give exactly one of percentOff and amountOff' });
    return null;
  }
  if (hasPercent) {
    if (command.currency != null) errors.push({ field: 'currency', message: 'applies to amountOff only' });
    const percentOff = percentageField(errors, 'percentOff', command.percentOff, { zeroAllowed: false });
    return percentOff === null ? null : { percentOff, amountOff: null, currency: null };
  }
  if (typeof command.currency !== 'string' || !isCurrencyCode(command.currency)) {
    errors.push({ field: 'currency', message: 'an ISO 4217 currency code is required with amountOff' });
    return null;
  }
  const amountOff = amountOffField(errors, command.amountOff, command.currency);
  return amountOff === null ? null : { percentOff: null, amountOff, currency: command.currency };
}

/** A positive amount with at most the currency's minor unit digits, written with exactly them. */
function amountOffField(errors: FieldError[], value: unknown, currency: string): string | null {
  if (typeof value !== 'string') {
    errors.push({ field: 'amountOff', message: 'must be a decimal string, e.g. "10.00" (not a JSON number)' });
    return null;
  }
  try {
    const amount = Money.of(value, currency);
    if (!amount.isPositive()) {
      errors.push({ field: 'amountOff', message: 'must be above zero' });
      return null;
    }
    return amount.toString();
  } catch (error) {
    errors.push({ field: 'amountOff', message: (error as Error).message });
    return null;
  }
}

type DurationFields = Pick<CouponDefinition, 'duration' | 'durationInMonths'>;

function durationFields(command: CreateCoupon, errors: FieldError[]): DurationFields | null {
  if (!(COUPON_DURATIONS as readonly unknown[]).includes(command.duration)) {
    errors.push({ field: 'duration', message: `must be one of ${COUPON_DURATIONS.join(', ')}` });
    return null;
  }
  const duration = command.duration as CouponDuration;
  const months = command.durationInMonths;
  if (duration !== 'repeating') {
    if (months != null) errors.push({ field: 'durationInMonths', message: 'applies to repeating coupons only' });
    return { duration, durationInMonths: null };
  }
  if (typeof months !== 'number' || !Number.isInteger(months) || months < 1 || months > MAX_COUPON_DURATION_MONTHS) {
    errors.push({ field: 'durationInMonths', message: `is required for a repeating coupon: a whole number from 1 to ${MAX_COUPON_DURATION_MONTHS}` });
    return null;
  }
  return { duration, durationInMonths: months };
}

// ---- Applying a coupon to a subscription's lines --------------------------------------------

export function couponDiscountOf(coupon: CouponDefinition): CouponDiscount {
  return coupon.percentOff !== null
    ? { kind: 'percent', percentOff: coupon.percentOff }
    : { kind: 'amount', amountOff: coupon.amountOff as string, currency: coupon.currency as string };
}

/** What decides which of a subscription's lines on one invoice its coupon covers. */
export interface CouponUse {
  /** The subscription's `startDate`: a repeating coupon's months count from it (a trial included). */
  subscriptionStart: Instant;
  /** This invoice is the first that carries lines of the subscription. */
  firstInvoice: boolean;
  invoiceCurrency: string;
}

const MONTHLY = { interval: 'month', intervalCount: 1 } as const;

/** Indexes of the lines the coupon covers. */
export function linesCouponCovers(coupon: CouponDefinition, use: CouponUse, lines: readonly InvoiceLineDraft[]): number[] {
  const all = lines.map((_line, index) => index);
  if (coupon.amountOff !== null && coupon.currency !== use.invoiceCurrency) return [];
  switch (coupon.duration) {
    case 'forever':
      return all;
    case 'once':
      return use.firstInvoice ? all : [];
    case 'repeating': {
      // Calendar months, as periods count them: from Jan 31, one month ends on Feb 28.
      const end = boundary(use.subscriptionStart, MONTHLY, coupon.durationInMonths ?? 0);
      return all.filter((index) => lines[index].periodStart !== null && Date.parse(lines[index].periodStart as string) < end);
    }
  }
}

/** The lines one subscription puts on an invoice, with the subscription and its coupon. */
export interface SubscriptionLines {
  subscription: Pick<ActiveSubscription, 'id' | 'couponId' | 'startDate' | 'invoiceIds'>;
  /** The subscription's coupon (null when it has none). */
  coupon: CouponDefinition | null;
  lines: readonly InvoiceLineDraft[];
}

/**
 * A consolidated invoice's drafts, subscription after subscription, and the coupon of each
 * subscription over the lines it covers: a coupon discounts only its own subscription's lines.
 *
 * "First invoice" holds whether the subscription's state was read before this invoice's
 * `SubscriptionBilled` (no invoices yet) or after it (this invoice is its first), so a run that
 * finishes a crashed run's invoice prices it exactly as the crashed run would have.
 */
export function couponDiscountsFor(
  invoiceId: string,
  invoiceCurrency: string,
  groups: readonly SubscriptionLines[],
): { drafts: InvoiceLineDraft[]; discounts: CouponApplication[] } {
  const drafts: InvoiceLineDraft[] = [];
  const discounts: CouponApplication[] = [];
  for (const { subscription, coupon, lines } of groups) {
    const offset = drafts.length;
    drafts.push(...lines);
    if (coupon === null || coupon.id !== subscription.couponId) continue;
    const use: CouponUse = {
      subscriptionStart: Date.parse(subscription.startDate),
      firstInvoice: subscription.invoiceIds.length === 0 || subscription.invoiceIds[0] === invoiceId,
      invoiceCurrency,
    };
    const covered = linesCouponCovers(coupon, use, lines);
    if (covered.length > 0) {
      discounts.push({ couponDiscount: couponDiscountOf(coupon), lineIndexes: covered.map((index) => index + offset) });
    }
  }
  return { drafts, discounts };
}
