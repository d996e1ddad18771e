import fc from 'fast-check';
import { Money, StrictBig } from '@accrual/money';
import { InvoiceLineDraft, roundLineAmount } from '../invoices/invoice-lines';
import { billAt } from '../testing/billing';
import { priceDefinition, pricesById, subscriptionOf } from '../testing/fixtures';
import { boundary, Cadence, INTERVALS, periodIndexAt } from '../time/calendar';
import { daysBetween, formatInstant, MS_PER_DAY } from '../time/instant';
import { meteredPeriodsDue, nextBillingAt, planBilling, prorationFactor, UsageLookup } from './billing-plan';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 100 };

const YEAR_2000 = Date.UTC(2000, 0, 1);
const cadenceArbitrary: fc.Arbitrary<Cadence> = fc.record({
  interval: fc.constantFrom(...INTERVALS),
  intervalCount: fc.integer({ min: 1, max: 3 }),
});

/**
 * A subscription with one licensed and one metered item of random cadences, an optional trial and
 * billing anchor, and an asOf from a month before service starts to about 16 months after it
 * (at most 500 daily periods, within one run's catch-up limit).
 */
const scenarioArbitrary = fc.record({
  startDay: fc.integer({ min: 0, max: 40 * 365 }),
  trialDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
  anchorDays: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  licensed: cadenceArbitrary,
  metered: cadenceArbitrary,
  asOfOffset: fc.oneof(
    fc.integer({ min: -30 * MS_PER_DAY, max: 500 * MS_PER_DAY }),
    fc.integer({ min: -30, max: 500 }).map((days) => days * MS_PER_DAY),
    fc.integer({ min: -30, max: 500 }).map((days) => days * MS_PER_DAY - 1),
  ),
});

type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

function setUp(scenario: Scenario) {
  const start = YEAR_2000 + scenario.startDay * MS_PER_DAY;
  const trialEnd = scenario.trialDays === null ? null : start + scenario.trialDays * MS_PER_DAY;
  const serviceStart = trialEnd ?? start;
  const anchor = scenario.anchorDays === null ? null : serviceStart + scenario.anchorDays * MS_PER_DAY;
  const licensed = priceDefinition({
    id: 'price_licensed',
    unitAmount: '30.00',
    recurring: { ...scenario.licensed, usage: 'licensed', meterCode: null },
  });
  const metered = priceDefinition({
    id: 'price_metered',
    unitAmount: '1',
    recurring: { ...scenario.metered, usage: 'metered', meterCode: 'calls' },
  });
  const prices = pricesById(licensed, metered);
  const subscription = subscriptionOf(
    {
      startDate: formatInstant(start),
      trialEnd: trialEnd === null ? undefined : formatInstant(trialEnd),
      billingAnchor: anchor === null ? undefined : formatInstant(anchor),
      items: [{ priceId: 'price_licensed' }, { priceId: 'price_metered' }],
    },
    prices,
  );
  // Usage: one call per day of the period, so every closed period bills something.
  const usage: UsageLookup = (period) => new StrictBig(String(Math.max(1, daysBetween(Date.parse(period.periodStart), Date.parse(period.periodEnd)))));
  const reference = anchor ?? serviceStart;
  return { serviceStart, reference, prices, subscription, usage, asOf: serviceStart + scenario.asOfOffset };
}

const startOf = (line: InvoiceLineDraft) => Date.parse(line.periodStart as string);
const endOf = (line: InvoiceLineDraft) => Date.parse(line.periodEnd as string);

/**
 * The first way in which `lines` fail to be contiguous periods of the cadence from the service
 * start, or null. Plain checks, not one `expect` per line: a run bills up to 500 periods.
 */
function contiguityViolation(lines: InvoiceLineDraft[], serviceStart: number, reference: number, cadence: Cadence): string | null {
  if (startOf(lines[0]) !== serviceStart) return `the first period starts at ${lines[0].periodStart}, not at the service start`;
  for (const [index, line] of lines.entries()) {
    if (!(startOf(line) < endOf(line))) return `line ${index} is empty or reversed`;
    // Every period ends on a boundary of the item's cycle; only the first may start off one (a stub).
    const k = periodIndexAt(reference, cadence, startOf(line));
    if (endOf(line) !== boundary(reference, cadence, k + 1)) return `line ${index} does not end on a boundary`;
    if (index === 0) continue;
    if (startOf(line) !== endOf(lines[index - 1])) return `line ${index} leaves a gap or overlaps`;
    if (startOf(line) !== boundary(reference, cadence, k)) return `line ${index} does not start on a boundary`;
  }
  return null;
}

describe('billing plan properties', () => {
  it('licensed periods are contiguous, do not overlap, start at the service start, and the last covers asOf', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const { serviceStart, reference, prices, subscription, usage, asOf } = setUp(scenario);
        const plan = planBilling(subscription, prices, asOf, usage);
        const lines = plan.lines.filter((line) => line.priceId === 'price_licensed');
        if (asOf < serviceStart) {
          expect(lines).toEqual([]);
          expect(plan.progress).toEqual(subscription.progress);
          return;
        }
        expect(contiguityViolation(lines, serviceStart, reference, scenario.licensed)).toBeNull();
        const last = lines[lines.length - 1];
        expect(startOf(last)).toBeLessThanOrEqual(asOf);
        expect(endOf(last)).toBeGreaterThan(asOf);
        expect(lines.slice(1).every((line) => !line.proration && line.amount === '30.00')).toBe(true);
        expect(plan.progress[0].licensedBilledUntil).toBe(last.periodEnd);
      }),
      RUNS,
    );
  });

  it('metered periods are contiguous from the service start and all closed by asOf; the next is still open', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const { serviceStart, reference, prices, subscription, usage, asOf } = setUp(scenario);
        const plan = planBilling(subscription, prices, asOf, usage);
        const lines = plan.lines.filter((line) => line.priceId === 'price_metered');
        expect(lines.map((line) => [line.periodStart, line.periodEnd])).toEqual(
          meteredPeriodsDue(subscription, prices, asOf).map((period) => [period.periodStart, period.periodEnd]),
        );
        const billedUntil = Date.parse(plan.progress[1].meteredBilledUntil);
        if (lines.length > 0) {
          expect(contiguityViolation(lines, serviceStart, reference, scenario.metered)).toBeNull();
          expect(endOf(lines[lines.length - 1])).toBeLessThanOrEqual(asOf);
          expect(billedUntil).toBe(endOf(lines[lines.length - 1]));
        } else {
          expect(billedUntil).toBe(serviceStart);
        }
        const nextEnd = boundary(reference, scenario.metered, periodIndexAt(reference, scenario.metered, billedUntil) + 1);
        expect(nextEnd).toBeGreaterThan(asOf);
      }),
      RUNS,
    );
  });

  it('re-planning after applying the progress bills nothing, and the next billing is after asOf', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const { prices, subscription, usage, asOf } = setUp(scenario);
        const first = billAt(subscription, prices, asOf, usage);
        expect(planBilling(first.after, prices, asOf, usage)).toEqual({ lines: [], progress: first.plan.progress });
        expect(nextBillingAt(first.after, prices)).toBeGreaterThan(asOf);
      }),
      RUNS,
    );
  });

  it('is deterministic, and billing in two runs bills what one run bills', () => {
    fc.assert(
      fc.property(scenarioArbitrary, fc.double({ min: 0, max: 1, noNaN: true }), (scenario, split) => {
        const { serviceStart, prices, subscription, usage, asOf } = setUp(scenario);
        const direct = planBilling(subscription, prices, asOf, usage);
        // Compared as JSON: deep equality of hundreds of lines per run is most of this test's time.
        expect(JSON.stringify(planBilling(subscription, prices, asOf, usage))).toBe(JSON.stringify(direct));
        const midway = Math.round(Math.min(serviceStart, asOf) + split * Math.abs(asOf - serviceStart));
        const first = billAt(subscription, prices, Math.min(midway, asOf), usage);
        const second = billAt(first.after, prices, asOf, usage);
        const key = (line: InvoiceLineDraft) => `${line.priceId} ${line.periodStart}`;
        const sorted = (lines: InvoiceLineDraft[]) => [...lines].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
        expect(JSON.stringify(sorted([...first.plan.lines, ...second.plan.lines]))).toBe(JSON.stringify(sorted(direct.lines)));
        expect(second.plan.progress).toEqual(direct.progress);
      }),
      RUNS,
    );
  });
});

describe('proration properties', () => {
  const periodArbitrary = fc
    .record({
      reference: fc.integer({ min: 0, max: 40 * 365 }).map((day) => YEAR_2000 + day * MS_PER_DAY),
      cadence: cadenceArbitrary,
      k: fc.integer({ min: -50, max: 50 }),
      position: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    })
    .map(({ reference, cadence, k, position }) => {
      const start = boundary(reference, cadence, k);
      const end = boundary(reference, cadence, k + 1);
      return { start, end, from: start + Math.floor(position * (end - start)) };
    });

  it('days left plus days used make the days of the period: what is credited plus what is charged is the whole', () => {
    fc.assert(
      fc.property(periodArbitrary, ({ start, end, from }) => {
        const { numerator, denominator } = prorationFactor(from, start, end);
        expect(denominator.toFixed()).toBe(String(daysBetween(start, end)));
        expect(numerator.plus(String(daysBetween(start, from))).eq(denominator)).toBe(true);
        expect(numerator.gte('0') && numerator.lte(denominator)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('rounded line by line, the two pieces miss the whole by at most one minor unit (two half-up ties)', () => {
    fc.assert(
      fc.property(periodArbitrary, fc.bigInt({ min: 0n, max: 10n ** 10n }), ({ start, end, from }, minorUnits) => {
        const whole = Money.fromMinorUnits(minorUnits, 'USD');
        const { numerator, denominator } = prorationFactor(from, start, end);
        const charged = roundLineAmount(whole.times(numerator).div(denominator), 'USD');
        const credited = roundLineAmount(whole.times(denominator.minus(numerator)).div(denominator), 'USD');
        const miss = Money.of(charged, 'USD').plus(Money.of(credited, 'USD')).minus(whole).toMinorUnits();
        expect(miss >= 0n && miss <= 1n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
