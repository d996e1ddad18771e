import fc from 'fast-check';
import { Money, StrictBig } from '@accrual/money';
import { planBilling } from '../billing-runs/billing-plan';
import { PriceDefinition } from '../catalog/price';
import { roundLineAmount } from '../invoices/invoice-lines';
import { fold } from '../shared/decider';
import { noUsage } from '../testing/billing';
import { priceDefinition, pricesById } from '../testing/fixtures';
import { boundary, Cadence, INTERVALS } from '../time/calendar';
import { daysBetween, formatInstant, MS_PER_DAY } from '../time/instant';
import { ActiveSubscription, createSubscription, subscriptionDecider, SubscriptionEvent } from './subscription';
import { changeItems } from './subscription-lifecycle';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 300 };
const YEAR_2000 = Date.UTC(2000, 0, 1);

/**
 * A subscription with one licensed item, billed in advance through period k of its cycle, and a
 * change to another price (or the same price, another quantity) at an instant of that period.
 */
const scenarioArbitrary = fc.record({
  startDay: fc.integer({ min: 0, max: 40 * 365 }),
  cadence: fc.record({ interval: fc.constantFrom(...INTERVALS), intervalCount: fc.integer({ min: 1, max: 3 }) }) as fc.Arbitrary<Cadence>,
  k: fc.integer({ min: 0, max: 24 }),
  position: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  oldUnitMinor: fc.integer({ min: 0, max: 1_000_000 }),
  newUnitMinor: fc.integer({ min: 0, max: 1_000_000 }),
  oldQuantity: fc.integer({ min: 1, max: 50 }),
  newQuantity: fc.integer({ min: 1, max: 50 }),
  samePrice: fc.boolean(),
});

type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

const usd = (minor: number) => Money.fromMinorUnits(BigInt(minor), 'USD').toString();

function setUp(scenario: Scenario, billedThroughPeriod: boolean) {
  const start = YEAR_2000 + scenario.startDay * MS_PER_DAY;
  const recurring = { ...scenario.cadence, usage: 'licensed' as const, meterCode: null };
  const oldPrice = priceDefinition({ id: 'price_old', unitAmount: usd(scenario.oldUnitMinor), recurring });
  const newPrice = scenario.samePrice ? oldPrice : priceDefinition({ id: 'price_new', unitAmount: usd(scenario.newUnitMinor), recurring });
  const prices = pricesById(oldPrice, newPrice);
  const periodStart = boundary(start, scenario.cadence, scenario.k);
  const periodEnd = boundary(start, scenario.cadence, scenario.k + 1);
  const events: SubscriptionEvent[] = createSubscription(
    { id: 'sub_1', customerId: 'cus_1', startDate: formatInstant(start), items: [{ priceId: 'price_old', quantity: scenario.oldQuantity }] },
    subscriptionDecider.initialState(),
    { customerCurrency: 'USD', prices, wallClockNow: Date.UTC(2200, 0, 1) },
  );
  const billedUntil = billedThroughPeriod ? periodEnd : periodStart;
  events.push({
    type: 'SubscriptionBilled',
    data: {
      customerId: 'cus_1',
      invoiceId: 'inv_1',
      asOf: formatInstant(periodStart),
      lines: [],
      progress: [{ priceId: 'price_old', licensedBilledUntil: formatInstant(billedUntil), meteredBilledUntil: formatInstant(start) }],
      pendingLinesBilled: 0,
      meteredBilled: [],
      usageThrough: null,
    },
  });
  return { prices, events, oldPrice, newPrice, periodStart, periodEnd };
}

/** Changes at `at` and bills at `at`: the lines of the next invoice for that period. */
function changeAndBill(setup: ReturnType<typeof setUp>, scenario: Scenario, at: number) {
  const state = fold(subscriptionDecider, setup.events) as ActiveSubscription;
  const items = [{ priceId: setup.newPrice.id, quantity: scenario.newQuantity }];
  const changed = changeItems({ subscriptionId: 'sub_1', effectiveAt: formatInstant(at), items }, state, { prices: setup.prices, wallClockNow: Date.UTC(2200, 0, 1) });
  const after = fold(subscriptionDecider, [...setup.events, ...changed]) as ActiveSubscription;
  return planBilling(after, setup.prices, at, noUsage).lines.filter((line) => Date.parse(line.periodStart as string) < setup.periodEnd);
}

const sumOf = (amounts: string[]) => amounts.reduce((total, amount) => total.plus(Money.of(amount, 'USD')), Money.zero('USD'));
const fullAmount = (price: PriceDefinition, quantity: number) => roundLineAmount(new StrictBig(price.unitAmount as string).times(new StrictBig(String(quantity))), 'USD');

describe('proration properties', () => {
  it('a proration credit plus charge over a whole period equals the price difference', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const setup = setUp(scenario, true);
        const lines = changeAndBill(setup, scenario, setup.periodStart);
        const difference = Money.of(fullAmount(setup.newPrice, scenario.newQuantity), 'USD').minus(Money.of(fullAmount(setup.oldPrice, scenario.oldQuantity), 'USD'));
        expect(sumOf(lines.map((line) => line.amount)).toString()).toBe(difference.toString());
        expect(lines.every((line) => line.periodStart === formatInstant(setup.periodStart) && line.periodEnd === formatInstant(setup.periodEnd))).toBe(true);
      }),
      RUNS,
    );
  });

  it('at any instant of the period, credit plus charge is the price difference times the days left over the days, within a minor unit', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const setup = setUp(scenario, true);
        const at = setup.periodStart + Math.floor(scenario.position * (setup.periodEnd - setup.periodStart));
        const lines = changeAndBill(setup, scenario, at);
        expect(lines.every((line) => line.periodEnd === formatInstant(setup.periodEnd))).toBe(true);
        const daysLeft = daysBetween(at, setup.periodEnd);
        const days = Math.max(1, daysBetween(setup.periodStart, setup.periodEnd));
        const oldAmount = new StrictBig(setup.oldPrice.unitAmount as string).times(new StrictBig(String(scenario.oldQuantity)));
        const newAmount = new StrictBig(setup.newPrice.unitAmount as string).times(new StrictBig(String(scenario.newQuantity)));
        const exact = Money.of(roundLineAmount(newAmount.minus(oldAmount).times(new StrictBig(String(daysLeft))).div(new StrictBig(String(days))), 'USD'), 'USD');
        const miss = sumOf(lines.map((line) => line.amount)).minus(exact).toMinorUnits();
        expect(miss >= -1n && miss <= 1n).toBe(true);
      }),
      RUNS,
    );
  });

  it('whether the run billed the period before the change or not, the period costs the same within a minor unit', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const billed = setUp(scenario, true);
        const unbilled = setUp(scenario, false);
        const at = billed.periodStart + Math.floor(scenario.position * (billed.periodEnd - billed.periodStart));
        const billedFirst = [fullAmount(billed.oldPrice, scenario.oldQuantity), ...changeAndBill(billed, scenario, at).map((line) => line.amount)];
        const changedFirst = changeAndBill(unbilled, scenario, at).map((line) => line.amount);
        const miss = sumOf(billedFirst).minus(sumOf(changedFirst)).toMinorUnits();
        expect(miss >= -1n && miss <= 1n).toBe(true);
      }),
      RUNS,
    );
  });
});
