import { StrictBig } from '@accrual/money';
import { InvoiceLineDraft } from '../invoices/invoice-lines';
import { billAt, noUsage, recordingUsage, usageOf } from '../testing/billing';
import { at, priceDefinition, pricesById, subscriptionOf } from '../testing/fixtures';
import { formatInstant } from '../time/instant';
import { LateUsagePeriod, MAX_LATE_PERIODS_PER_RUN, MAX_PERIODS_PER_RUN, meteredPeriodsDue, nextBillingAt, planBilling, prorationFactor } from './billing-plan';

const seats = priceDefinition({ id: 'price_seats', product: 'Seats', unitAmount: '10.00' });
const platform = priceDefinition({ id: 'price_platform', product: 'Platform', model: 'flat', unitAmount: null, flatAmount: '31.00' });
const support = priceDefinition({
  id: 'price_support',
  product: 'Support',
  model: 'flat',
  unitAmount: null,
  flatAmount: '1200.00',
  recurring: { interval: 'year', intervalCount: 1, usage: 'licensed', meterCode: null },
});
const apiCalls = priceDefinition({
  id: 'price_api',
  product: 'API calls',
  unitAmount: '0.001',
  recurring: { interval: 'month', intervalCount: 1, usage: 'metered', meterCode: 'api_calls' },
});
const daily = priceDefinition({
  id: 'price_daily',
  product: 'Daily',
  unitAmount: '1',
  recurring: { interval: 'day', intervalCount: 1, usage: 'licensed', meterCode: null },
});
const prices = pricesById(seats, platform, support, apiCalls, daily);

const iso = (text: string) => formatInstant(at(text));

/** A line as the plan writes it; overrides for what differs from a full, unprorated period. */
function lineOf(price: typeof seats, quantity: string, amount: string, start: string, end: string, proration = false): InvoiceLineDraft {
  return {
    description: proration ? `${price.product} (prorated)` : price.product,
    priceId: price.id,
    quantity,
    unitAmount: price.model === 'flat' ? price.flatAmount : price.unitAmount,
    amount,
    periodStart: iso(start),
    periodEnd: iso(end),
    proration,
  };
}

const periodsOf = (lines: InvoiceLineDraft[]) => lines.map((line) => [line.periodStart?.slice(0, 10), line.periodEnd?.slice(0, 10)]);

describe('planBilling: licensed items bill in advance', () => {
  const subscription = subscriptionOf({ startDate: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 5 }] }, prices);

  it('bills the first period at the start (asOf = startDate)', () => {
    expect(planBilling(subscription, prices, at('2026-01-15'), noUsage)).toEqual({
      lines: [lineOf(seats, '5', '50.00', '2026-01-15', '2026-02-15')],
      progress: [{ priceId: 'price_seats', licensedBilledUntil: iso('2026-02-15'), meteredBilledUntil: iso('2026-01-15') }],
    });
  });

  it('bills nothing before the start', () => {
    const plan = planBilling(subscription, prices, at('2026-01-15') - 1, noUsage);
    expect(plan).toEqual({ lines: [], progress: subscription.progress });
  });

  it('catches up missed periods one by one: three months later, four periods', () => {
    const plan = planBilling(subscription, prices, at('2026-04-15'), noUsage);
    expect(periodsOf(plan.lines)).toEqual([
      ['2026-01-15', '2026-02-15'],
      ['2026-02-15', '2026-03-15'],
      ['2026-03-15', '2026-04-15'],
      ['2026-04-15', '2026-05-15'],
    ]);
    expect(plan.lines.every((line) => line.amount === '50.00' && !line.proration)).toBe(true);
    expect(plan.progress[0].licensedBilledUntil).toBe(iso('2026-05-15'));
    expect(periodsOf(planBilling(subscription, prices, at('2026-04-15') - 1, noUsage).lines)).toHaveLength(3);
  });

  it('periods from the 31st follow the calendar, unprorated', () => {
    const fromThe31st = subscriptionOf({ startDate: '2026-01-31T00:00:00Z', items: [{ priceId: 'price_platform' }] }, prices);
    const plan = planBilling(fromThe31st, prices, at('2026-03-31'), noUsage);
    expect(periodsOf(plan.lines)).toEqual([
      ['2026-01-31', '2026-02-28'],
      ['2026-02-28', '2026-03-31'],
      ['2026-03-31', '2026-04-30'],
    ]);
    expect(plan.lines.map((line) => line.amount)).toEqual(['31.00', '31.00', '31.00']);
  });

  it('a quantity of 0 bills nothing, but the period is done', () => {
    const none = subscriptionOf({ startDate: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 0 }] }, prices);
    const plan = planBilling(none, prices, at('2026-01-15'), noUsage);
    expect(plan.lines).toEqual([]);
    expect(plan.progress[0].licensedBilledUntil).toBe(iso('2026-02-15'));
  });

  it(`catches up at most ${MAX_PERIODS_PER_RUN} periods per item per run; the next run goes on`, () => {
    const old = subscriptionOf({ startDate: '2020-01-01T00:00:00Z', items: [{ priceId: 'price_daily' }] }, prices);
    const first = billAt(old, prices, at('2026-01-01'));
    expect(first.plan.lines).toHaveLength(MAX_PERIODS_PER_RUN);
    expect(first.plan.progress[0].licensedBilledUntil).toBe(iso('2022-09-27'));
    const second = billAt(first.after, prices, at('2026-01-01'));
    expect(second.plan.lines[0].periodStart).toBe(iso('2022-09-27'));
    expect(second.plan.lines).toHaveLength(MAX_PERIODS_PER_RUN);
    // 2192 days from 2020-01-01 to 2026-01-01, plus the day that starts at asOf: 2193 periods.
    const third = billAt(second.after, prices, at('2026-01-01'));
    expect(third.plan.lines).toHaveLength(2193 - 2 * MAX_PERIODS_PER_RUN);
    expect(third.plan.progress[0].licensedBilledUntil).toBe(iso('2026-01-02'));
  });
});

describe('planBilling: metered items bill in arrears', () => {
  const subscription = subscriptionOf({ startDate: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_api' }] }, prices);

  it('bills nothing until the period closes', () => {
    const usage = recordingUsage();
    expect(planBilling(subscription, prices, at('2026-02-15') - 1, usage.lookup)).toEqual({ lines: [], progress: subscription.progress });
    expect(usage.asked).toEqual([]);
    expect(meteredPeriodsDue(subscription, prices, at('2026-02-15') - 1)).toEqual([]);
  });

  it('bills the closed period from its aggregate, at its end, rounded half-up, and records the aggregate billed', () => {
    const usage = recordingUsage(() => new StrictBig('12345'));
    const plan = planBilling(subscription, prices, at('2026-02-15'), usage.lookup);
    expect(plan).toEqual({
      lines: [lineOf(apiCalls, '12345', '12.35', '2026-01-15', '2026-02-15')],
      progress: [{ priceId: 'price_api', licensedBilledUntil: iso('2026-01-15'), meteredBilledUntil: iso('2026-02-15') }],
      meteredBilled: [{ priceId: 'price_api', periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-15'), quantity: '12345' }],
    });
  });

  it('asks for the usage of exactly the periods meteredPeriodsDue names', () => {
    const due = meteredPeriodsDue(subscription, prices, at('2026-04-20'));
    expect(due).toEqual([
      { priceId: 'price_api', meterCode: 'api_calls', periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-15') },
      { priceId: 'price_api', meterCode: 'api_calls', periodStart: iso('2026-02-15'), periodEnd: iso('2026-03-15') },
      { priceId: 'price_api', meterCode: 'api_calls', periodStart: iso('2026-03-15'), periodEnd: iso('2026-04-15') },
    ]);
    const usage = recordingUsage();
    planBilling(subscription, prices, at('2026-04-20'), usage.lookup);
    expect(usage.asked).toEqual(due);
  });

  it('a period without usage bills nothing, but is done', () => {
    const plan = planBilling(subscription, prices, at('2026-02-15'), noUsage);
    expect(plan.lines).toEqual([]);
    expect(plan.progress[0].meteredBilledUntil).toBe(iso('2026-02-15'));
  });
});

describe('planBilling: billing anchor', () => {
  it('bills a stub from the start to the anchor, prorated over the whole period that ends at the anchor', () => {
    const anchored = subscriptionOf(
      { startDate: '2026-01-15T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_platform' }] },
      prices,
    );
    const first = billAt(anchored, prices, at('2026-01-15'));
    // 17 of January's 31 days: 17/31 × 31.00.
    expect(first.plan.lines).toEqual([lineOf(platform, '1', '17.00', '2026-01-15', '2026-02-01', true)]);
    const second = billAt(first.after, prices, at('2026-02-01'));
    expect(second.plan.lines).toEqual([lineOf(platform, '1', '31.00', '2026-02-01', '2026-03-01')]);
  });

  it('rounds the prorated amount half-up', () => {
    const anchored = subscriptionOf(
      { startDate: '2026-01-15T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 1 }] },
      prices,
    );
    // 10.00 × 17/31 = 5.4838…
    expect(planBilling(anchored, prices, at('2026-01-15'), noUsage).lines[0]).toMatchObject({ amount: '5.48', proration: true });
  });

  it('a metered item’s first period also ends at the anchor, and is not prorated (usage is what it is)', () => {
    const anchored = subscriptionOf(
      { startDate: '2026-01-15T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_api' }] },
      prices,
    );
    expect(meteredPeriodsDue(anchored, prices, at('2026-03-01'))).toMatchObject([
      { periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-01') },
      { periodStart: iso('2026-02-01'), periodEnd: iso('2026-03-01') },
    ]);
    expect(planBilling(anchored, prices, at('2026-02-01'), usageOf('1000')).lines).toEqual([
      lineOf(apiCalls, '1000', '1.00', '2026-01-15', '2026-02-01'),
    ]);
  });
});

describe('planBilling: trials', () => {
  const trialing = subscriptionOf(
    { startDate: '2026-01-01T00:00:00Z', trialEnd: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 2 }, { priceId: 'price_api' }] },
    prices,
  );

  it('bills nothing before trialEnd, licensed or metered', () => {
    const usage = recordingUsage();
    expect(planBilling(trialing, prices, at('2026-01-15') - 1, usage.lookup)).toEqual({ lines: [], progress: trialing.progress });
    expect(usage.asked).toEqual([]);
  });

  it('the first period starts at trialEnd, unprorated', () => {
    const plan = planBilling(trialing, prices, at('2026-01-15'), noUsage);
    expect(plan.lines).toEqual([lineOf(seats, '2', '20.00', '2026-01-15', '2026-02-15')]);
  });

  it('usage during the trial is never asked for', () => {
    expect(meteredPeriodsDue(trialing, prices, at('2026-02-15'))).toMatchObject([{ periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-15') }]);
  });

  it('with an anchor after the trial, the stub runs from trialEnd to the anchor', () => {
    const anchored = subscriptionOf(
      { startDate: '2026-01-01T00:00:00Z', trialEnd: '2026-01-10T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_platform' }] },
      prices,
    );
    // 22 of January's 31 days.
    expect(planBilling(anchored, prices, at('2026-01-10'), noUsage).lines).toEqual([lineOf(platform, '1', '22.00', '2026-01-10', '2026-02-01', true)]);
  });
});

describe('planBilling: items with different intervals', () => {
  const mixed = subscriptionOf(
    {
      startDate: '2026-01-01T00:00:00Z',
      items: [{ priceId: 'price_seats', quantity: 3 }, { priceId: 'price_support' }, { priceId: 'price_api' }],
    },
    prices,
  );

  it('each item follows its own cadence from the same reference', () => {
    const first = billAt(mixed, prices, at('2026-01-01'), usageOf('5000'));
    expect(first.plan.lines).toEqual([
      lineOf(seats, '3', '30.00', '2026-01-01', '2026-02-01'),
      lineOf(support, '1', '1200.00', '2026-01-01', '2027-01-01'),
    ]);
    expect(nextBillingAt(first.after, prices)).toBe(at('2026-02-01'));

    const second = billAt(first.after, prices, at('2026-03-01'), usageOf('5000'));
    expect(second.plan.lines).toEqual([
      lineOf(seats, '3', '30.00', '2026-02-01', '2026-03-01'),
      lineOf(seats, '3', '30.00', '2026-03-01', '2026-04-01'),
      lineOf(apiCalls, '5000', '5.00', '2026-01-01', '2026-02-01'),
      lineOf(apiCalls, '5000', '5.00', '2026-02-01', '2026-03-01'),
    ]);
  });
});

describe('planBilling: running again', () => {
  const subscription = subscriptionOf(
    { startDate: '2026-01-15T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 4 }, { priceId: 'price_api' }] },
    prices,
  );

  it('bills nothing twice once the plan’s progress is applied', () => {
    const asOf = at('2026-05-10');
    const first = billAt(subscription, prices, asOf, usageOf('7'));
    expect(first.plan.lines.length).toBeGreaterThan(0);
    const again = billAt(first.after, prices, asOf, usageOf('7'));
    expect(again.plan).toEqual({ lines: [], progress: first.plan.progress });
    expect(first.after.invoiceIds).toEqual(['inv_test']);
  });

  it('is deterministic: the same state, prices, usage and asOf give the same plan', () => {
    const usage = usageOf('123.456');
    expect(planBilling(subscription, prices, at('2026-07-01'), usage)).toEqual(planBilling(subscription, prices, at('2026-07-01'), usage));
  });

  it('billing month by month bills what one catch-up run bills', () => {
    const usage = usageOf('42');
    const direct = planBilling(subscription, prices, at('2026-06-01'), usage);
    let state = subscription;
    const lines: InvoiceLineDraft[] = [];
    for (const asOf of ['2026-01-15', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01']) {
      const run = billAt(state, prices, at(asOf), usage);
      lines.push(...run.plan.lines);
      state = run.after;
    }
    const byPriceAndPeriod = (line: InvoiceLineDraft) => `${line.priceId} ${line.periodStart}`;
    expect([...lines].sort((a, b) => byPriceAndPeriod(a).localeCompare(byPriceAndPeriod(b)))).toEqual(
      [...direct.lines].sort((a, b) => byPriceAndPeriod(a).localeCompare(byPriceAndPeriod(b))),
    );
    expect(state.progress).toEqual(direct.progress);
  });
});

describe('nextBillingAt', () => {
  it('is the start of the next licensed period, or the end of the open metered one', () => {
    const licensed = subscriptionOf({ startDate: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats' }] }, prices);
    expect(nextBillingAt(licensed, prices)).toBe(at('2026-01-15'));
    expect(nextBillingAt(billAt(licensed, prices, at('2026-01-15')).after, prices)).toBe(at('2026-02-15'));
    const metered = subscriptionOf({ startDate: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_api' }] }, prices);
    expect(nextBillingAt(metered, prices)).toBe(at('2026-02-15'));
    const anchoredMetered = subscriptionOf(
      { startDate: '2026-01-15T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z', items: [{ priceId: 'price_api' }] },
      prices,
    );
    expect(nextBillingAt(anchoredMetered, prices)).toBe(at('2026-02-01'));
  });

  it('is the trial end for a trialing subscription, and null when no price is known', () => {
    const trialing = subscriptionOf({ startDate: '2026-01-01T00:00:00Z', trialEnd: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats' }] }, prices);
    expect(nextBillingAt(trialing, prices)).toBe(at('2026-01-15'));
    expect(nextBillingAt(trialing, new Map())).toBeNull();
  });

  it('planning at nextBillingAt bills something; just before it, nothing', () => {
    const subscription = subscriptionOf({ startDate: '2026-01-31T00:00:00Z', items: [{ priceId: 'price_seats' }, { priceId: 'price_api' }] }, prices);
    let state = billAt(subscription, prices, at('2026-01-31'), usageOf('1')).after;
    for (let step = 0; step < 6; step += 1) {
      const due = nextBillingAt(state, prices) as number;
      expect(planBilling(state, prices, due - 1, usageOf('1')).lines).toEqual([]);
      const run = billAt(state, prices, due, usageOf('1'));
      expect(run.plan.lines.length).toBeGreaterThan(0);
      state = run.after;
    }
  });
});

describe('prorationFactor', () => {
  const factor = (from: string, start: string, end: string) => {
    const { numerator, denominator } = prorationFactor(at(from), at(start), at(end));
    return `${numerator.toFixed()}/${denominator.toFixed()}`;
  };

  it('is the days left in the period over the days in the period', () => {
    expect(factor('2026-01-15', '2026-01-01', '2026-02-01')).toBe('17/31');
    expect(factor('2026-01-01', '2026-01-01', '2026-02-01')).toBe('31/31');
    expect(factor('2028-02-15', '2028-02-01', '2028-03-01')).toBe('15/29');
    expect(factor('2026-02-15', '2026-02-01', '2026-03-01')).toBe('14/28');
    expect(factor('2026-07-01', '2026-01-01', '2027-01-01')).toBe('184/365');
  });

  it('counts UTC days, whatever the time of day', () => {
    expect(factor('2026-01-15T18:00:00Z', '2026-01-01', '2026-02-01')).toBe('17/31');
  });
});

describe('planBilling: late usage', () => {
  const subscription = subscriptionOf({ startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'price_api' }] }, prices);
  const january = (billedQuantity: string, quantity: string): LateUsagePeriod => ({
    priceId: 'price_api',
    periodStart: iso('2026-01-01'),
    periodEnd: iso('2026-02-01'),
    billedQuantity,
    quantity: new StrictBig(quantity),
  });

  it('bills the difference on a line naming the original period, and records the new aggregate', () => {
    const plan = planBilling(subscription, prices, at('2026-01-20'), noUsage, [january('1000', '1750')]);
    expect(plan.lines).toEqual([
      { ...lineOf(apiCalls, '750', '0.75', '2026-01-01', '2026-02-01'), description: 'API calls (late usage)' },
    ]);
    expect(plan.meteredBilled).toEqual([{ priceId: 'price_api', periodStart: iso('2026-01-01'), periodEnd: iso('2026-02-01'), quantity: '1750' }]);
  });

  it('each period’s lines add up to the rounded amount of its final aggregate', () => {
    // 12,345 calls billed 12.35; 12,350 is still 12.35 (no line); 12,355 is 12.36 (a cent more).
    expect(planBilling(subscription, prices, at('2026-02-01'), noUsage, [january('12345', '12350')]).lines.filter((line) => line.description.endsWith('(late usage)'))).toEqual([]);
    expect(planBilling(subscription, prices, at('2026-02-01'), noUsage, [january('12350', '12355')]).lines).toMatchObject([
      { description: 'API calls (late usage)', quantity: '5', amount: '0.01' },
    ]);
  });

  it('a lower amount than billed (a `last` meter, volume tiers) is credited', () => {
    const plan = planBilling(subscription, prices, at('2026-01-20'), noUsage, [january('1000', '400')]);
    expect(plan.lines).toMatchObject([{ quantity: '-600', amount: '-0.60', periodStart: iso('2026-01-01') }]);
  });

  it(`re-bills at most ${MAX_LATE_PERIODS_PER_RUN} periods in one run`, () => {
    const many = Array.from({ length: MAX_LATE_PERIODS_PER_RUN + 5 }, (_, index) => ({ ...january('0', '1000'), periodStart: formatInstant(at('2025-01-01') + index * 86_400_000) }));
    expect(planBilling(subscription, prices, at('2026-01-20'), noUsage, many).meteredBilled).toHaveLength(MAX_LATE_PERIODS_PER_RUN);
  });
});
