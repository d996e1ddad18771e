import fc from 'fast-check';
import { Money } from '@accrual/money';
import { AGING_BUCKETS, AgingBucket, agingBucketOf, agingBucketSql, assembleAgingReport, CustomerBuckets, daysSalesOutstanding, formatMinorUnits, parseMinorUnits } from './aging';

const BUCKET_KEYS = AGING_BUCKETS.map((bucket) => bucket.key);

describe('AR aging buckets (docs/reporting.md, "AR aging")', () => {
  it('puts each edge of the contract in its bucket: current ≤ 0, then 1–30, 31–60, 61–90, over 90', () => {
    const cases: Array<[number, string]> = [
      [-400, 'current'],
      [0, 'current'],
      [1, 'd1_30'],
      [30, 'd1_30'],
      [31, 'd31_60'],
      [60, 'd31_60'],
      [61, 'd61_90'],
      [90, 'd61_90'],
      [91, 'd90_plus'],
      [10_000, 'd90_plus'],
    ];
    for (const [days, bucket] of cases) expect([days, agingBucketOf(days)]).toEqual([days, bucket]);
  });

  it('writes the same edges into SQL', () => {
    expect(agingBucketSql('d')).toBe(
      "(case when d <= 0 then 'current' when d <= 30 then 'd1_30' when d <= 60 then 'd31_60' when d <= 90 then 'd61_90' else 'd90_plus' end)",
    );
  });

  it('property: every invoice falls in exactly one bucket, the first whose bound holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (days) => {
        const holding = AGING_BUCKETS.filter((bucket) => bucket.maxDaysPastDue === null || days <= bucket.maxDaysPastDue);
        expect(holding.length).toBeGreaterThanOrEqual(1);
        expect(agingBucketOf(days)).toBe(holding[0].key);
        // The buckets before it all exclude it: it lies in one interval only.
        const index = BUCKET_KEYS.indexOf(agingBucketOf(days));
        for (const earlier of AGING_BUCKETS.slice(0, index)) expect(days).toBeGreaterThan(earlier.maxDaysPastDue as number);
      }),
    );
  });

  it('property: bucket sums equal the total, per customer and overall, and the totals are the customers’ sums', () => {
    const invoice = fc.record({
      customerId: fc.constantFrom('c1', 'c2', 'c3'),
      daysPastDue: fc.integer({ min: -60, max: 400 }),
      cents: fc.bigInt({ min: 1n, max: 10_000_000n }),
    });
    fc.assert(
      fc.property(fc.array(invoice, { maxLength: 50 }), (invoices) => {
        const byCustomer = new Map<string, CustomerBuckets>();
        for (const one of invoices) {
          const row = byCustomer.get(one.customerId) ?? { customerId: one.customerId, owed: { current: 0n, d1_30: 0n, d31_60: 0n, d61_90: 0n, d90_plus: 0n } };
          row.owed[agingBucketOf(one.daysPastDue)] += one.cents;
          byCustomer.set(one.customerId, row);
        }
        const amounts = [...byCustomer.values()];
        const report = assembleAgingReport('2026-03-31', 'USD', amounts);
        const everything = invoices.reduce((total, one) => total.plus(Money.fromMinorUnits(one.cents, 'USD')), Money.zero('USD'));
        expect(report.totals.total).toBe(everything.toString());
        for (const row of [report.totals, ...report.customers]) {
          const buckets = BUCKET_KEYS.reduce((total, key) => total.plus(Money.of(row[key], 'USD')), Money.zero('USD'));
          expect(buckets.toString()).toBe(row.total);
        }
        for (const key of [...BUCKET_KEYS, 'total'] as const) {
          const customers = report.customers.reduce((total, row) => total.plus(Money.of(row[key], 'USD')), Money.zero('USD'));
          expect(customers.toString()).toBe(report.totals[key]);
        }
        expect(report.customers.map((row) => row.customerId)).toEqual([...new Set(invoices.map((one) => one.customerId))].sort());
      }),
    );
  });

  it('formats amounts in the currency’s minor digits and reports no customers when nothing is owed', () => {
    expect(assembleAgingReport('2026-03-31', 'JPY', [])).toEqual({
      asOf: '2026-03-31',
      currency: 'JPY',
      totals: { current: '0', d1_30: '0', d31_60: '0', d61_90: '0', d90_plus: '0', total: '0' },
      customers: [],
    });
    const owed: Record<AgingBucket, bigint> = { current: 0n, d1_30: 0n, d31_60: 1250n, d61_90: 0n, d90_plus: 0n };
    const report = assembleAgingReport('2026-03-31', 'USD', [{ customerId: 'c', owed }, { customerId: 'b', owed: { ...owed, d31_60: 0n } }]);
    expect(report.customers).toEqual([{ customerId: 'c', current: '0.00', d1_30: '0.00', d31_60: '12.50', d61_90: '0.00', d90_plus: '0.00', total: '12.50' }]);
  });
});

describe('minor units written as Money writes them', () => {
  it('property: formatMinorUnits equals Money.fromMinorUnits(...).toString() in 0, 2 and 3 digit currencies', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.constantFrom('JPY', 'USD', 'KWD'), (minor, currency) => {
        const digits = { JPY: 0, USD: 2, KWD: 3 }[currency];
        expect(formatMinorUnits(minor, digits)).toBe(Money.fromMinorUnits(minor, currency).toString());
        expect(parseMinorUnits(formatMinorUnits(minor, digits), digits)).toBe(minor);
      }),
    );
  });

  it('reads the database’s decimals at any scale, refusing digits the currency does not have', () => {
    expect([parseMinorUnits('12.3', 2), parseMinorUnits('-0.50', 2), parseMinorUnits('7', 2), parseMinorUnits('7.000', 0)]).toEqual([1230n, -50n, 700n, 7n]);
    expect(() => parseMinorUnits('0.001', 2)).toThrow('more than 2 decimal places');
    expect(() => parseMinorUnits('1e3', 2)).toThrow('not a decimal');
  });
});

describe('DSO (docs/reporting.md, "DSO")', () => {
  const usd = (amount: string) => Money.of(amount, 'USD');

  it('is ending receivables over credit sales times the days, half-up to two decimals', () => {
    expect(daysSalesOutstanding(usd('70.00'), usd('300.00'), 31)).toBe('7.23'); // 7.2333…
    expect(daysSalesOutstanding(usd('1.00'), usd('8.00'), 1)).toBe('0.13'); // 0.125 rounds up
    expect(daysSalesOutstanding(usd('0.00'), usd('8.00'), 30)).toBe('0.00');
    expect(daysSalesOutstanding(usd('500.00'), usd('100.00'), 30)).toBe('150.00');
  });

  it('is null when nothing was billed', () => {
    expect(daysSalesOutstanding(usd('70.00'), usd('0.00'), 31)).toBeNull();
  });
});
