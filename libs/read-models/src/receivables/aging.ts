import { Money, StrictBig } from '@accrual/money';

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

/** What one customer owes in one bucket, as the aging query sums it. */
export interface AgedAmount {
  customerId: string;
  bucket: AgingBucket;
  owed: string;
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

/** The report from per-customer bucket sums: customers by id; each row's and the totals' buckets add up to their total. */
export function assembleAgingReport(asOf: string, currency: string, amounts: readonly AgedAmount[]): AgingReport {
  const totals = emptyAging(currency);
  const byCustomer = new Map<string, Record<AgingBucket | 'total', Money>>();
  for (const { customerId, bucket, owed } of amounts) {
    const row = byCustomer.get(customerId) ?? emptyAging(currency);
    byCustomer.set(customerId, row);
    const amount = Money.of(owed, currency);
    for (const target of [row, totals]) {
      target[bucket] = target[bucket].plus(amount);
      target.total = target.total.plus(amount);
    }
  }
  const customers = [...byCustomer.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([customerId, row]) => ({ customerId, ...formatAging(row) }));
  return { asOf, currency, totals: formatAging(totals), customers };
}

/** DSO: ending receivables over credit sales times the days, half-up to two decimals; null without sales. */
export function daysSalesOutstanding(endingReceivables: Money, creditSales: Money, days: number): string | null {
  if (creditSales.isZero()) return null;
  return endingReceivables.amount.times(new StrictBig(String(days))).div(creditSales.amount).round(2, StrictBig.roundHalfUp).toFixed(2);
}

function emptyAging(currency: string): Record<AgingBucket | 'total', Money> {
  const zero = Money.zero(currency);
  return { current: zero, d1_30: zero, d31_60: zero, d61_90: zero, d90_plus: zero, total: zero };
}

function formatAging(amounts: Record<AgingBucket | 'total', Money>): AgingAmounts {
  return {
    current: amounts.current.toString(),
    d1_30: amounts.d1_30.toString(),
    d31_60: amounts.d31_60.toString(),
    d61_90: amounts.d61_90.toString(),
    d90_plus: amounts.d90_plus.toString(),
    total: amounts.total.toString(),
  };
}
