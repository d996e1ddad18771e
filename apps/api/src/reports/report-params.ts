import { daysBetween, formatDate, InvalidInputError, parseDate } from '@accrual/billing';
import { isCurrencyCode } from '@accrual/money';

/** Every report is per currency: a known ISO 4217 code is required. */
export function reportCurrency(value: unknown): string {
  if (typeof value !== 'string' || !isCurrencyCode(value)) {
    throw InvalidInputError.field('currency', 'is required: an ISO 4217 currency code, e.g. USD');
  }
  return value;
}

/** A report date `YYYY-MM-DD` (a UTC day), normalized. */
export function reportDate(field: string, value: unknown): string {
  return formatDate(parseDate(field, value));
}

/** The UTC days [from, to], both included; `to` before `from` is refused. */
export function reportPeriod(fromValue: unknown, toValue: unknown): { from: string; to: string; days: number } {
  const from = parseDate('from', fromValue);
  const to = parseDate('to', toValue);
  if (to < from) throw InvalidInputError.field('to', 'must be on or after from');
  return { from: formatDate(from), to: formatDate(to), days: daysBetween(from, to) + 1 };
}
