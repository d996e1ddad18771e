import { Money } from '@accrual/money';
import { InvoiceLine } from '../invoices/invoice-lines';
import { daysBetween, formatDate, MS_PER_DAY, parseDate, parseInstant } from '../time/instant';

/**
 * Revenue recognition (docs/reporting.md, "Revenue recognition"). A line's revenue is its amount
 * less its discount, less its tax when the rate is inclusive (tax is never revenue). It is
 * recognized ratably by UTC day over the line's service days; a line without a service period is
 * recognized whole on the day its invoice is issued. Nothing is recognized before the invoice is
 * issued: days of service already past at issue are caught up on the issue day.
 */
export interface RecognitionSchedule {
  /** The line's revenue before any credit note, in the currency's minor unit. */
  revenueAmount: string;
  currency: string;
  /** `YYYY-MM-DD`, the first and last UTC day of service (inclusive). */
  firstServiceDay: string;
  lastServiceDay: string;
  /** `YYYY-MM-DD`, the UTC day the invoice was issued. */
  issuedDay: string;
}

/**
 * What credit notes left of the invoice as of a day: `remaining` of `total` (both in minor units).
 * Credit notes reverse revenue in proportion, so a line's revenue is scaled by remaining / total.
 */
export interface CreditShare {
  remaining: string;
  total: string;
}

export const FULL_SHARE = (total: string): CreditShare => ({ remaining: total, total });

export function lineRevenueAmount(line: InvoiceLine, taxInclusive: boolean, currency: string): Money {
  const net = Money.of(line.amount, currency).minus(Money.of(line.discountAmount, currency));
  return taxInclusive ? net.minus(Money.of(line.taxAmount, currency)) : net;
}

/** The service days of a line: those its half-open period [periodStart, periodEnd) touches. */
export function serviceDaysOf(line: Pick<InvoiceLine, 'periodStart' | 'periodEnd'>, issuedDay: string): { first: string; last: string } {
  if (line.periodStart === null || line.periodEnd === null) return { first: issuedDay, last: issuedDay };
  const start = parseInstant('periodStart', line.periodStart);
  const end = parseInstant('periodEnd', line.periodEnd);
  // periodEnd is exclusive: a period ending at midnight does not serve the day that starts then.
  return { first: formatDate(start), last: formatDate(Math.max(start, end - 1)) };
}

export function scheduleOf(line: InvoiceLine, taxInclusive: boolean, currency: string, issuedAt: string): RecognitionSchedule {
  const issuedDay = formatDate(parseInstant('issuedAt', issuedAt));
  const days = serviceDaysOf(line, issuedDay);
  return {
    revenueAmount: lineRevenueAmount(line, taxInclusive, currency).toString(),
    currency,
    firstServiceDay: days.first,
    lastServiceDay: days.last,
    issuedDay,
  };
}

/**
 * The revenue recognized from a line up to and including `day`: at full precision the line's
 * revenue × share × days elapsed / days of service, then rounded half-up to the minor unit. Each
 * day's piece is the difference of two cumulative figures, so the pieces always add up to the
 * (credited) line.
 */
export function recognizedAmount(schedule: RecognitionSchedule, share: CreditShare, day: string): Money {
  const { currency } = schedule;
  if (day < schedule.issuedDay) return Money.zero(currency);
  const serviceDays = BigInt(dayCount(schedule.firstServiceDay, schedule.lastServiceDay));
  const elapsed = BigInt(Math.min(Math.max(dayCount(schedule.firstServiceDay, day), 0), Number(serviceDays)));
  const { total, remaining } = shareInMinorUnits(share, currency);
  if (total === 0n) return Money.zero(currency);
  const revenue = Money.of(schedule.revenueAmount, currency).toMinorUnits();
  return Money.fromMinorUnits(divideRoundingHalfUp(revenue * remaining * elapsed, total * serviceDays), currency);
}

/**
 * The share's terms in minor units, with a positive denominator: a negative invoice (its total
 * became customer credit) has a negative total, and the share is the same ratio either way.
 */
function shareInMinorUnits(share: CreditShare, currency: string): { total: bigint; remaining: bigint } {
  const total = Money.of(share.total, currency).toMinorUnits();
  const remaining = Money.of(share.remaining, currency).toMinorUnits();
  return total < 0n ? { total: -total, remaining: -remaining } : { total, remaining };
}

/** The line's revenue once credit notes took their share: what it recognizes in the end. */
export function creditedRevenueAmount(schedule: RecognitionSchedule, share: CreditShare): Money {
  const { currency } = schedule;
  const { total, remaining } = shareInMinorUnits(share, currency);
  if (total === 0n) return Money.zero(currency);
  const revenue = Money.of(schedule.revenueAmount, currency).toMinorUnits();
  return Money.fromMinorUnits(divideRoundingHalfUp(revenue * remaining, total), currency);
}

/** Days from `first` to `day`, both counted: 1 when they are the same day. */
export function dayCount(first: string, day: string): number {
  return daysBetween(parseDate('first', first), parseDate('day', day)) + 1;
}

export function previousDay(day: string): string {
  return formatDate(parseDate('day', day) - MS_PER_DAY);
}

/**
 * Exact integer division rounded half-up (ties away from zero, as `roundToMinorUnit`): minor
 * units are integers, so this is full precision with no intermediate rounding.
 */
export function divideRoundingHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('the denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = magnitude / denominator;
  const rounded = (magnitude % denominator) * 2n >= denominator ? quotient + 1n : quotient;
  return negative ? -rounded : rounded;
}
