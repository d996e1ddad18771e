/**
 * Pure helpers of the report property test: money as integer minor units (bigint), so the test's
 * own arithmetic is exact and independent of the code under test.
 */

export const CURRENCY_DIGITS: Record<string, number> = { USD: 2, JPY: 0, KWD: 3 };

function digitsOf(currency: string): number {
  const digits = CURRENCY_DIGITS[currency];
  if (digits === undefined) throw new Error(`no minor digits known for ${currency}`);
  return digits;
}

/** "-12.5" in USD → -1250n. More fractional digits than the currency has is an error. */
export function minor(amount: string, currency: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(amount);
  if (!match) throw new Error(`not a decimal amount: ${JSON.stringify(amount)}`);
  const digits = digitsOf(currency);
  const fraction = match[3] ?? '';
  if (fraction.replace(/0+$/, '').length > digits) throw new Error(`${amount} has more than ${digits} decimals for ${currency}`);
  const value = BigInt(match[2] + fraction.padEnd(digits, '0').slice(0, digits));
  return match[1] === '-' ? -value : value;
}

/** -1250n in USD → "-12.50". */
export function formatMinor(value: bigint, currency: string): string {
  const digits = digitsOf(currency);
  const sign = value < 0n ? '-' : '';
  const text = (value < 0n ? -value : value).toString().padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** numerator / denominator rounded half-up (ties away from zero), for any signs. */
export function roundRatioHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new Error('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (2n * n + d) / (2n * d);
  return negative ? -quotient : quotient;
}

/** The UTC day (`YYYY-MM-DD`) of an RFC 3339 instant or a date. */
export function dayOf(instantOrDate: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(instantOrDate)) return instantOrDate;
  const ms = Date.parse(instantOrDate);
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${instantOrDate}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC day after a `YYYY-MM-DD` day. */
export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export const AGING_BUCKET_NAMES = ['current', 'd1_30', 'd31_60', 'd61_90', 'd90_plus'] as const;
export type AgingBucketName = (typeof AGING_BUCKET_NAMES)[number];
export type AgingRow = Record<AgingBucketName | 'total', bigint>;

/** The contract's buckets by days past due (D − due date): ≤ 0, 1–30, 31–60, 61–90, over 90. */
export function agingBucket(dueDate: string, asOf: string): AgingBucketName {
  const daysPastDue = Math.round((Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${dayOf(dueDate)}T00:00:00Z`)) / 86_400_000);
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return 'd1_30';
  if (daysPastDue <= 60) return 'd31_60';
  if (daysPastDue <= 90) return 'd61_90';
  return 'd90_plus';
}
