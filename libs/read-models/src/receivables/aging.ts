import { minorUnitDigits, Money, StrictBig } from '@accrual/money';

/** The AR aging buckets by days past due (as of day D, D minus the due date), in report order. */
export const AGING_BUCKETS = [
  { key: 'current', maxDaysPastDue: 0 },
  { key: 'd1_30', maxDaysPastDue: 30 },
  { key: 'd31_60', maxDaysPastDue: 60 },
  { key: 'd61_90', maxDaysPastDue: 90 },
  { key: 'd90_plus', maxDaysPastDue: null },
] as const;

export type AgingBucket = (typeof AGING_BUCKETS)[number]['key'];
export type AgingAmounts = Record<AgingBucket | 'total', string>;

export interface CustomerAging extends AgingAmounts {
  customerId: string;
}

export interface AgingReport {
  asOf: string;
  currency: string;
  totals: AgingAmounts;
  customers: CustomerAging[];
}

/** What one customer owes in each bucket, in minor units (cents), as the aging query sums it. */
export interface CustomerBuckets {
  customerId: string;
  owed: Record<AgingBucket, bigint>;
}

/** The one bucket for a whole number of days past due (≤ 0 is current). */
export function agingBucketOf(daysPastDue: number): AgingBucket {
  const bucket = AGING_BUCKETS.find((candidate) => candidate.maxDaysPastDue === null || daysPastDue <= candidate.maxDaysPastDue);
  return (bucket ?? AGING_BUCKETS[AGING_BUCKETS.length - 1]).key;
}

/** SQL: the same buckets as `agingBucketOf`, for an integer expression of days past due. */
export function agingBucketSql(daysPastDue: string): string {
  const cases = AGING_BUCKETS.map((bucket) =>
    bucket.maxDaysPastDue === null ? `else '${bucket.key}'` : `when ${daysPastDue} <= ${bucket.maxDaysPastDue} then '${bucket.key}'`,
  );
  return `(case ${cases.join(' ')} end)`;
}

/**
 * The report from per-customer bucket sums: customers by id, those owing nothing left out; each
 * row's and the totals' buckets add up to their total. Integer minor units, not `Money`: a report
 * has thousands of customers and exact integer sums cost a fraction of decimal objects.
 */
export function assembleAgingReport(asOf: string, currency: string, rows: readonly CustomerBuckets[]): AgingReport {
  const digits = minorUnitDigits(currency);
  const totals = emptyBuckets();
  const customers: CustomerAging[] = [];
  for (const { customerId, owed } of [...rows].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0))) {
    let total = 0n;
    for (const { key } of AGING_BUCKETS) {
      total += owed[key];
      totals[key] += owed[key];
    }
    if (AGING_BUCKETS.every(({ key }) => owed[key] === 0n)) continue;
    customers.push({ customerId, ...formatBuckets(owed, total, digits) });
  }
  const grandTotal = AGING_BUCKETS.reduce((sum, { key }) => sum + totals[key], 0n);
  return { asOf, currency, totals: formatBuckets(totals, grandTotal, digits), customers };
}

/** DSO: ending receivables over credit sales times the days, half-up to two decimals; null without sales. */
export function daysSalesOutstanding(endingReceivables: Money, creditSales: Money, days: number): string | null {
  if (creditSales.isZero()) return null;
  return endingReceivables.amount.times(new StrictBig(String(days))).div(creditSales.amount).round(2, StrictBig.roundHalfUp).toFixed(2);
}

function emptyBuckets(): Record<AgingBucket, bigint> {
  return { current: 0n, d1_30: 0n, d31_60: 0n, d61_90: 0n, d90_plus: 0n };
}

function formatBuckets(owed: Record<AgingBucket, bigint>, total: bigint, digits: number): AgingAmounts {
  return {
    current: formatMinorUnits(owed.current, digits),
    d1_30: formatMinorUnits(owed.d1_30, digits),
    d31_60: formatMinorUnits(owed.d31_60, digits),
    d61_90: formatMinorUnits(owed.d61_90, digits),
    d90_plus: formatMinorUnits(owed.d90_plus, digits),
    total: formatMinorUnits(total, digits),
  };
}

/**
 * A decimal string from the database ("12.3", "-0.50", "7") as minor units at `digits` places;
 * throws on a non-zero digit beyond them (the books never hold one: that would be a bug).
 */
export function parseMinorUnits(text: string, digits: number): bigint {
  if (!DECIMAL.test(text)) throw new Error(`not a decimal: ${text}`);
  const dot = text.indexOf('.');
  if (dot === -1) return BigInt(text + '0'.repeat(digits));
  const fraction = text.slice(dot + 1);
  // The usual case (the database keeps the currency's scale): one BigInt of the digits as they are.
  if (fraction.length === digits) return BigInt(text.slice(0, dot) + fraction);
  if (/[1-9]/.test(fraction.slice(digits))) throw new Error(`${text} has more than ${digits} decimal places`);
  return BigInt(text.slice(0, dot) + fraction.slice(0, digits).padEnd(digits, '0'));
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Minor units as the decimal string `Money` writes (1234n at 2 digits → "12.34"). */
export function formatMinorUnits(minorUnits: bigint, digits: number): string {
  const negative = minorUnits < 0n;
  const text = (negative ? -minorUnits : minorUnits).toString().padStart(digits + 1, '0');
  const decimal = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${decimal}` : decimal;
}
