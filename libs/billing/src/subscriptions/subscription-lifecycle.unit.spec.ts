import { InvoiceLineDraft } from '../invoices/invoice-lines';
import { planBilling, nextBillingAt, UsageLookup } from '../billing-runs/billing-plan';
import { fold } from '../shared/decider';
import { ConflictError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { billAt, noUsage, subscriptionBilled, usageOf } from '../testing/billing';
import { fieldsOf, given } from '../testing/decider-spec';
import { at, priceDefinition, pricesById } from '../testing/fixtures';
import { formatInstant } from '../time/instant';
import {
  ActiveSubscription,
  createSubscription,
  CreateSubscription,
  statusAt,
  SubscriptionCanceled,
  SubscriptionChanged,
  subscriptionDecider,
  SubscriptionEvent,
  SubscriptionPaused,
} from './subscription';
import { cancelSubscription, changeItems, LifecycleContext, pauseSubscription, resumeSubscription } from './subscription-lifecycle';

const seats = priceDefinition({ id: 'price_seats', product: 'Seats', unitAmount: '10.00' });
const pro = priceDefinition({ id: 'price_pro', product: 'Pro seats', unitAmount: '20.00' });
const apiCalls = priceDefinition({
  id: 'price_api',
  product: 'API calls',
  unitAmount: '0.001',
  recurring: { interval: 'month', intervalCount: 1, usage: 'metered', meterCode: 'api_calls' },
});
const support = priceDefinition({
  id: 'price_support',
  product: 'Support',
  model: 'flat',
  unitAmount: null,
  flatAmount: '1200.00',
  recurring: { interval: 'year', intervalCount: 1, usage: 'licensed', meterCode: null },
});
const setupFee = priceDefinition({ id: 'price_setup', recurring: null, model: 'flat', unitAmount: null, flatAmount: '100' });
const seatsInEuro = priceDefinition({ id: 'price_seats_eur', currency: 'EUR' });
const prices = pricesById(seats, pro, apiCalls, support, setupFee, seatsInEuro);

const context: LifecycleContext = { prices, wallClockNow: at('2029-06-01') };
const iso = (text: string) => formatInstant(at(text));

/** A subscription's history: created, then billed by a run at each `runs` instant. */
function history(command: Partial<CreateSubscription> = {}, runs: string[] = [], usage: UsageLookup = noUsage): SubscriptionEvent[] {
  const events: SubscriptionEvent[] = createSubscription(
    { id: 'sub_1', customerId: 'cus_1', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 10 }], ...command },
    subscriptionDecider.initialState(),
    { customerCurrency: 'USD', prices, wallClockNow: at('2200-01-01') },
  );
  for (const run of runs) events.push(billedAt(events, run, usage));
  return events;
}

function billedAt(events: SubscriptionEvent[], run: string, usage: UsageLookup = noUsage): SubscriptionEvent {
  const state = stateOf(events);
  return subscriptionBilled(state, planBilling(state, prices, at(run), usage), at(run));
}

function stateOf(events: SubscriptionEvent[]): ActiveSubscription {
  return fold(subscriptionDecider, events) as ActiveSubscription;
}

/** The lines a run at `asOf` puts on the invoice after `events`. */
function linesAt(events: SubscriptionEvent[], asOf: string, usage: UsageLookup = noUsage): InvoiceLineDraft[] {
  return planBilling(stateOf(events), prices, at(asOf), usage).lines;
}

const amounts = (lines: InvoiceLineDraft[]) => lines.map((line) => line.amount);

describe('changeItems: day-based proration', () => {
  const billedJanuary = history({}, ['2026-01-01']);
  const upgrade = { subscriptionId: 'sub_1', effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 15 }] };

  it('an upgrade mid-period credits the unused time of the billed period; the next run charges the new quantity for the rest', () => {
    const [changed] = given(subscriptionDecider, billedJanuary).when((state) => changeItems(upgrade, state, context)).events() as SubscriptionChanged[];
    // 17 of January's 31 days are left: −(100.00 × 17/31) = −54.838… → −54.84.
    expect(changed.data).toEqual({
      subscriptionId: 'sub_1',
      customerId: 'cus_1',
      effectiveAt: iso('2026-01-15'),
      prorate: true,
      items: [{ priceId: 'price_seats', quantity: '15' }],
      progress: [
        { priceId: 'price_seats', licensedBilledUntil: iso('2026-01-15'), meteredBilledUntil: iso('2026-01-15'), startsAt: iso('2026-01-15') },
      ],
      prorationLines: [
        {
          description: 'Unused time on Seats',
          priceId: 'price_seats',
          quantity: '10',
          unitAmount: '10.00',
          amount: '-54.84',
          periodStart: iso('2026-01-15'),
          periodEnd: iso('2026-02-01'),
          proration: true,
        },
      ],
    });
    const after = [...billedJanuary, changed];
    expect(nextBillingAt(stateOf(after), prices)).toBe(at('2026-01-15'));
    // 150.00 × 17/31 = 82.258… → 82.26, for [Jan 15, Feb 1).
    expect(linesAt(after, '2026-01-15')).toEqual([
      changed.data.prorationLines[0],
      {
        description: 'Seats (prorated)',
        priceId: 'price_seats',
        quantity: '15',
        unitAmount: '10.00',
        amount: '82.26',
        periodStart: iso('2026-01-15'),
        periodEnd: iso('2026-02-01'),
        proration: true,
      },
    ]);
    const billed = [...after, billedAt(after, '2026-01-15')];
    expect(stateOf(billed).pendingLines).toEqual([]);
    expect(amounts(linesAt(billed, '2026-02-01'))).toEqual(['150.00']);
  });

  it('a change before the run billed the period bills the same total: the old items up to the change, the new ones after', () => {
    const unbilled = history();
    const [changed] = given(subscriptionDecider, unbilled).when((state) => changeItems(upgrade, state, context)).events() as SubscriptionChanged[];
    expect(changed.data.prorationLines).toEqual([]);
    const lines = linesAt([...unbilled, changed], '2026-01-15');
    // 100.00 × 14/31 = 45.16 for [Jan 1, Jan 15), then 82.26: 127.42, as 100.00 − 54.84 + 82.26.
    expect(lines.map((line) => [line.quantity, line.amount, line.periodStart, line.periodEnd])).toEqual([
      ['10', '45.16', iso('2026-01-01'), iso('2026-01-15')],
      ['15', '82.26', iso('2026-01-15'), iso('2026-02-01')],
    ]);
    const billed = [...unbilled, changed, billedAt([...unbilled, changed], '2026-01-15')];
    expect(stateOf(billed).progress).toHaveLength(1);
  });

  it('a price swap credits the old price and charges the new one', () => {
    const swap = { ...upgrade, items: [{ priceId: 'price_pro', quantity: 10 }] };
    const [changed] = given(subscriptionDecider, billedJanuary).when((state) => changeItems(swap, state, context)).events() as SubscriptionChanged[];
    const after = [...billedJanuary, changed];
    // −54.84 for the seats; 200.00 × 17/31 = 109.677… → 109.68 for the pro seats.
    expect(amounts(linesAt(after, '2026-01-15'))).toEqual(['-54.84', '109.68']);
  });

  it('without proration nothing is credited or charged: the new items start at the next period', () => {
    const [changed] = given(subscriptionDecider, billedJanuary)
      .when((state) => changeItems({ ...upgrade, prorate: false }, state, context))
      .events() as SubscriptionChanged[];
    expect(changed.data.prorationLines).toEqual([]);
    expect(changed.data.progress).toEqual([
      { priceId: 'price_seats', licensedBilledUntil: iso('2026-02-01'), meteredBilledUntil: iso('2026-02-01'), startsAt: iso('2026-02-01') },
    ]);
    const after = [...billedJanuary, changed];
    expect(linesAt(after, '2026-01-31')).toEqual([]);
    expect(linesAt(after, '2026-02-01')).toMatchObject([{ quantity: '15', amount: '150.00', periodStart: iso('2026-02-01'), proration: false }]);
  });

  it('without proration and before the run, the old items bill their period whole, as in advance', () => {
    const unbilled = history();
    const [changed] = given(subscriptionDecider, unbilled)
      .when((state) => changeItems({ ...upgrade, prorate: false }, state, context))
      .events() as SubscriptionChanged[];
    expect(linesAt([...unbilled, changed], '2026-01-15')).toMatchObject([
      { quantity: '10', amount: '100.00', periodStart: iso('2026-01-01'), periodEnd: iso('2026-02-01'), proration: false },
    ]);
  });

  it('an item with the same price and quantity runs on untouched; the same item set changes nothing', () => {
    const withSupport = history({ items: [{ priceId: 'price_seats', quantity: 10 }, { priceId: 'price_support' }] }, ['2026-01-01']);
    const [changed] = given(subscriptionDecider, withSupport)
      .when((state) => changeItems({ ...upgrade, items: [{ priceId: 'price_support' }, { priceId: 'price_seats', quantity: 15 }] }, state, context))
      .events() as SubscriptionChanged[];
    expect(changed.data.progress[0]).toEqual(stateOf(withSupport).progress[1]);
    expect(changed.data.prorationLines.map((line) => line.priceId)).toEqual(['price_seats']);
    given(subscriptionDecider, withSupport)
      .when((state) => changeItems({ ...upgrade, items: [{ priceId: 'price_support', quantity: 1 }, { priceId: 'price_seats', quantity: '10' }] }, state, context))
      .then([]);
  });

  it('a removed metered item bills its usage up to the change on the next run, then leaves', () => {
    const events = history({ items: [{ priceId: 'price_seats', quantity: 10 }, { priceId: 'price_api' }] }, ['2026-01-01']);
    const [changed] = given(subscriptionDecider, events)
      .when((state) => changeItems({ ...upgrade, items: [{ priceId: 'price_seats', quantity: 10 }] }, state, context))
      .events() as SubscriptionChanged[];
    expect(changed.data.prorationLines).toEqual([]);
    const after = [...events, changed];
    expect(nextBillingAt(stateOf(after), prices)).toBe(at('2026-01-15'));
    expect(linesAt(after, '2026-01-15', usageOf('5000'))).toMatchObject([
      { priceId: 'price_api', quantity: '5000', amount: '5.00', periodStart: iso('2026-01-01'), periodEnd: iso('2026-01-15') },
    ]);
    const billed = [...after, billedAt(after, '2026-01-15', usageOf('5000'))];
    expect(stateOf(billed).progress.map((item) => item.priceId)).toEqual(['price_seats']);
  });

  it('an added metered item counts usage from the change', () => {
    const [changed] = given(subscriptionDecider, billedJanuary)
      .when((state) => changeItems({ ...upgrade, items: [{ priceId: 'price_seats', quantity: 10 }, { priceId: 'price_api' }] }, state, context))
      .events() as SubscriptionChanged[];
    expect(changed.data.prorationLines).toEqual([]);
    expect(planBilling(stateOf([...billedJanuary, changed]), prices, at('2026-02-01'), usageOf('1000')).lines).toMatchObject([
      { priceId: 'price_seats', amount: '100.00' },
      { priceId: 'price_api', periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-01'), amount: '1.00' },
    ]);
  });

  it('in a trial nothing is billed yet: the new items start at the trial end', () => {
    const trialing = history({ trialEnd: '2026-01-15T00:00:00Z' });
    const [changed] = given(subscriptionDecider, trialing)
      .when((state) => changeItems({ ...upgrade, effectiveAt: '2026-01-05T00:00:00Z' }, state, context))
      .events() as SubscriptionChanged[];
    expect(changed.data.prorationLines).toEqual([]);
    expect(linesAt([...trialing, changed], '2026-01-15')).toMatchObject([{ quantity: '15', amount: '150.00', periodStart: iso('2026-01-15') }]);
  });

  it('a backdated change credits every billed period after it, one line each', () => {
    const events = history({}, ['2026-01-01', '2026-02-01', '2026-03-01']);
    const [changed] = given(subscriptionDecider, events)
      .when((state) => changeItems({ ...upgrade, effectiveAt: '2026-02-15T00:00:00Z' }, state, context))
      .events() as SubscriptionChanged[];
    // February: 14 of 28 days left; March whole.
    expect(changed.data.prorationLines.map((line) => [line.amount, line.periodStart, line.periodEnd])).toEqual([
      ['-50.00', iso('2026-02-15'), iso('2026-03-01')],
      ['-100.00', iso('2026-03-01'), iso('2026-04-01')],
    ]);
    expect(amounts(linesAt([...events, changed], '2026-03-01'))).toEqual(['-50.00', '-100.00', '75.00', '150.00']);
  });

  describe('month ends, February and leap years', () => {
    it('from the 31st, February of a leap year has 29 days', () => {
      const events = history({ startDate: '2028-01-31T00:00:00Z' }, ['2028-01-31']);
      const [changed] = given(subscriptionDecider, events)
        .when((state) => changeItems({ ...upgrade, effectiveAt: '2028-02-10T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 20 }] }, state, context))
        .events() as SubscriptionChanged[];
      // [Jan 31, Feb 29) has 29 days; 19 are left on Feb 10: −100.00 × 19/29 and 200.00 × 19/29.
      expect(changed.data.prorationLines).toMatchObject([{ amount: '-65.52', periodStart: iso('2028-02-10'), periodEnd: iso('2028-02-29') }]);
      expect(linesAt([...events, changed], '2028-02-10')[1]).toMatchObject({ amount: '131.03', periodEnd: iso('2028-02-29') });
    });

    it('from the 31st, February of a common year has 28 days', () => {
      const events = history({ startDate: '2026-01-31T00:00:00Z' }, ['2026-01-31']);
      const [changed] = given(subscriptionDecider, events)
        .when((state) => changeItems({ ...upgrade, effectiveAt: '2026-02-10T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 20 }] }, state, context))
        .events() as SubscriptionChanged[];
      expect(changed.data.prorationLines).toMatchObject([{ amount: '-64.29', periodEnd: iso('2026-02-28') }]);
      expect(linesAt([...events, changed], '2026-02-10')[1]).toMatchObject({ amount: '128.57', periodEnd: iso('2026-02-28') });
    });

    it('a yearly item in a leap year counts 366 days', () => {
      const events = history({ startDate: '2028-01-01T00:00:00Z', items: [{ priceId: 'price_support' }] }, ['2028-01-01']);
      const [changed] = given(subscriptionDecider, events)
        .when((state) => changeItems({ ...upgrade, effectiveAt: '2028-07-01T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 1 }] }, state, context))
        .events() as SubscriptionChanged[];
      // 184 of 366 days: −1200.00 × 184/366 = −603.278… → −603.28.
      expect(changed.data.prorationLines).toMatchObject([{ amount: '-603.28', periodStart: iso('2028-07-01'), periodEnd: iso('2029-01-01') }]);
    });
  });

  describe('refusals', () => {
    const decide = (overrides: object, events: SubscriptionEvent[] = billedJanuary, withContext = context) =>
      given(subscriptionDecider, events).when((state) => changeItems({ ...upgrade, ...overrides }, state, withContext));

    it('an unknown subscription: NotFoundError subscription-not-found', () => {
      decide({}, []).thenThrows(NotFoundError, 'subscription-not-found');
    });

    it('a canceled or paused subscription: 409', () => {
      const canceled = [...billedJanuary, ...cancelSubscription({ subscriptionId: 'sub_1', at: '2026-01-10T00:00:00Z' }, stateOf(billedJanuary), context)];
      decide({}, canceled).thenThrows(ConflictError, 'subscription-canceled');
      const paused = [...billedJanuary, ...pauseSubscription({ subscriptionId: 'sub_1', at: '2026-01-10T00:00:00Z' }, stateOf(billedJanuary), context)];
      decide({}, paused).thenThrows(ConflictError, 'subscription-paused');
    });

    it('at or after a cancellation at the period end: 409; before it, fine', () => {
      const scheduled = [...billedJanuary, ...cancelSubscription({ subscriptionId: 'sub_1', atPeriodEnd: true }, stateOf(billedJanuary), { ...context, wallClockNow: at('2026-01-10') })];
      decide({ effectiveAt: '2026-02-01T00:00:00Z' }, scheduled).thenThrows(ConflictError, 'subscription-canceled');
      const [changed] = decide({}, scheduled).events() as SubscriptionChanged[];
      expect(changed.data.progress[0].endsAt).toBe(iso('2026-02-01'));
    });

    it.each([
      ['effectiveAt', { effectiveAt: 'tomorrow' }],
      ['effectiveAt', { effectiveAt: undefined }],
      ['effectiveAt', { effectiveAt: '2025-12-31T23:59:59Z' }],
      ['items', { items: [] }],
      ['items[0].quantity', { items: [{ priceId: 'price_seats', quantity: '-1' }] }],
      ['prorate', { prorate: 'yes' }],
    ])('bad input blames %s', (field, overrides) => {
      expect(fieldsOf(decide(overrides).thenThrows(InvalidInputError))).toEqual([field]);
    });

    it('an instant more than 5 minutes ahead of the wall clock', () => {
      const error = decide({}, billedJanuary, { ...context, wallClockNow: at('2026-01-14T23:54:59Z') }).thenThrows(InvalidInputError);
      expect(fieldsOf(error)).toEqual(['effectiveAt']);
      expect(decide({}, billedJanuary, { ...context, wallClockNow: at('2026-01-14T23:55:00Z') }).events()).toHaveLength(1);
    });

    it('an instant before the last change: changes apply in order', () => {
      const changed = [...billedJanuary, ...changeItems(upgrade, stateOf(billedJanuary), context)];
      expect(fieldsOf(decide({ effectiveAt: '2026-01-14T00:00:00Z', items: [{ priceId: 'price_pro' }] }, changed).thenThrows(InvalidInputError))).toEqual(['effectiveAt']);
      expect(decide({ items: [{ priceId: 'price_pro' }] }, changed).events()).toHaveLength(1);
    });

    it('prices: unknown, one-time, or in another currency: 422', () => {
      decide({ items: [{ priceId: 'price_nope' }] }).thenThrows(RuleViolationError, 'unknown-price');
      decide({ items: [{ priceId: 'price_setup' }] }).thenThrows(RuleViolationError, 'price-not-recurring');
      decide({ items: [{ priceId: 'price_seats_eur' }] }).thenThrows(RuleViolationError, 'currency-mismatch');
    });
  });
});

describe('cancelSubscription', () => {
  const events = history({ items: [{ priceId: 'price_seats', quantity: 10 }, { priceId: 'price_api' }] }, ['2026-01-01']);
  const cancel = (command: object, past = events, withContext = context) =>
    given(subscriptionDecider, past).when((state) => cancelSubscription({ subscriptionId: 'sub_1', ...command }, state, withContext));

  it('now, with proration: credits the unused licensed time; usage up to the cancellation bills on the next run', () => {
    const [canceled] = cancel({ at: '2026-01-15T00:00:00Z', prorate: true }).events() as SubscriptionCanceled[];
    expect(canceled.data.prorationLines).toMatchObject([{ amount: '-54.84', periodStart: iso('2026-01-15'), periodEnd: iso('2026-02-01') }]);
    const after = [...events, canceled];
    expect(stateOf(after)).toMatchObject({ status: 'canceled', cancelAt: iso('2026-01-15'), cancelAtPeriodEnd: false });
    expect(linesAt(after, '2026-01-15', usageOf('2000'))).toMatchObject([
      { amount: '-54.84' },
      { priceId: 'price_api', amount: '2.00', periodStart: iso('2026-01-01'), periodEnd: iso('2026-01-15') },
    ]);
    const billed = [...after, billedAt(after, '2026-01-15', usageOf('2000'))];
    expect(stateOf(billed)).toMatchObject({ status: 'canceled', progress: [], pendingLines: [] });
    expect(nextBillingAt(stateOf(billed), prices)).toBeNull();
  });

  it('now, without proration (the default): nothing is credited and no further period bills', () => {
    const [canceled] = cancel({ at: '2026-01-15T00:00:00Z' }).events() as SubscriptionCanceled[];
    expect(canceled.data).toMatchObject({ prorate: false, prorationLines: [] });
    expect(linesAt([...events, canceled], '2026-03-01', usageOf('2000'))).toMatchObject([
      { priceId: 'price_api', amount: '2.00', periodEnd: iso('2026-01-15') },
    ]);
  });

  it('at the period end: active until the latest licensed period end, then nothing more bills', () => {
    const [canceled] = cancel({ atPeriodEnd: true }, events, { ...context, wallClockNow: at('2026-01-20') }).events() as SubscriptionCanceled[];
    expect(canceled.data).toMatchObject({ at: iso('2026-02-01'), atPeriodEnd: true, prorationLines: [] });
    const after = [...events, canceled];
    const state = stateOf(after);
    expect(state).toMatchObject({ status: 'active', cancelAt: iso('2026-02-01'), cancelAtPeriodEnd: true });
    expect(statusAt(state, at('2026-01-31'))).toBe('active');
    expect(statusAt(state, at('2026-02-01'))).toBe('canceled');
    expect(linesAt(after, '2026-03-01', usageOf('3000'))).toMatchObject([{ priceId: 'price_api', amount: '3.00', periodEnd: iso('2026-02-01') }]);
    const billed = [...after, billedAt(after, '2026-02-01', usageOf('3000'))];
    expect(nextBillingAt(stateOf(billed), prices)).toBeNull();
  });

  it('twice: 409 subscription-canceled', () => {
    const canceled = [...events, ...cancelSubscription({ subscriptionId: 'sub_1', at: '2026-01-15T00:00:00Z' }, stateOf(events), context)];
    cancel({ at: '2026-01-16T00:00:00Z' }, canceled).thenThrows(ConflictError, 'subscription-canceled');
    const scheduled = [...events, ...cancelSubscription({ subscriptionId: 'sub_1', atPeriodEnd: true }, stateOf(events), context)];
    cancel({ atPeriodEnd: true }, scheduled).thenThrows(ConflictError, 'subscription-canceled');
  });

  it('refuses an unknown subscription, `at` with `atPeriodEnd`, and bad instants', () => {
    cancel({ at: '2026-01-15T00:00:00Z' }, []).thenThrows(NotFoundError, 'subscription-not-found');
    expect(fieldsOf(cancel({ atPeriodEnd: true, at: '2026-01-15T00:00:00Z' }).thenThrows(InvalidInputError))).toEqual(['atPeriodEnd']);
    expect(fieldsOf(cancel({ atPeriodEnd: false }).thenThrows(InvalidInputError))).toEqual(['atPeriodEnd']);
    expect(fieldsOf(cancel({}).thenThrows(InvalidInputError))).toEqual(['at']);
    expect(fieldsOf(cancel({ at: '2025-12-01T00:00:00Z' }).thenThrows(InvalidInputError))).toEqual(['at']);
  });
});

describe('pauseSubscription and resumeSubscription', () => {
  const events = history({ items: [{ priceId: 'price_seats', quantity: 10 }, { priceId: 'price_api' }] }, ['2026-01-01']);
  const pause = (at: string, past = events) =>
    given(subscriptionDecider, past).when((state) => pauseSubscription({ subscriptionId: 'sub_1', at }, state, context));
  const resume = (at: string, past: SubscriptionEvent[]) =>
    given(subscriptionDecider, past).when((state) => resumeSubscription({ subscriptionId: 'sub_1', at }, state, context));

  it('paused time bills nothing: unused time is credited at the pause, the resume bills a stub to the next boundary', () => {
    const [paused] = pause('2026-01-11T00:00:00Z').events() as SubscriptionPaused[];
    // 21 of 31 days unused: −100.00 × 21/31 = −67.74.
    expect(paused.data.prorationLines).toMatchObject([{ amount: '-67.74', periodStart: iso('2026-01-11'), periodEnd: iso('2026-02-01') }]);
    const afterPause = [...events, paused];
    expect(stateOf(afterPause)).toMatchObject({ status: 'paused', pausedAt: iso('2026-01-11') });
    const resumed = resume('2026-01-21T00:00:00Z', afterPause).events();
    const afterResume = [...afterPause, ...resumed];
    expect(stateOf(afterResume)).toMatchObject({ status: 'active', pausedAt: null });
    // Usage is counted before the pause and after the resume only: [Jan 1, Jan 11) and [Jan 21, Feb 1).
    const usage: UsageLookup = (period) => usageOf(period.periodStart === iso('2026-01-01') ? '1000' : '3000')(period);
    expect(linesAt(afterResume, '2026-02-01', usage).map((line) => [line.priceId, line.amount, line.periodStart, line.periodEnd])).toEqual([
      ['price_seats', '-67.74', iso('2026-01-11'), iso('2026-02-01')],
      ['price_api', '1.00', iso('2026-01-01'), iso('2026-01-11')],
      // 11 of 31 days: 100.00 × 11/31 = 35.48. January bills 100.00 − 67.74 + 35.48 = 67.74: 21 days served.
      ['price_seats', '35.48', iso('2026-01-21'), iso('2026-02-01')],
      ['price_seats', '100.00', iso('2026-02-01'), iso('2026-03-01')],
      ['price_api', '3.00', iso('2026-01-21'), iso('2026-02-01')],
    ]);
  });

  it('pause when paused, resume when not paused, change when paused: 409', () => {
    const afterPause = [...events, ...pause('2026-01-11T00:00:00Z').events()];
    pause('2026-01-12T00:00:00Z', afterPause).thenThrows(ConflictError, 'subscription-paused');
    resume('2026-01-12T00:00:00Z', events).thenThrows(ConflictError, 'subscription-not-paused');
    resume('2026-01-12T00:00:00Z', []).thenThrows(NotFoundError, 'subscription-not-found');
  });

  it('a resume before the pause, or in the far future: 400', () => {
    const afterPause = [...events, ...pause('2026-01-11T00:00:00Z').events()];
    expect(fieldsOf(resume('2026-01-10T00:00:00Z', afterPause).thenThrows(InvalidInputError))).toEqual(['at']);
    expect(fieldsOf(resume('2031-01-10T00:00:00Z', afterPause).thenThrows(InvalidInputError))).toEqual(['at']);
  });

  it('a canceled subscription can be neither paused nor resumed; a paused one can be canceled', () => {
    const afterPause = [...events, ...pause('2026-01-11T00:00:00Z').events()];
    const canceled = [...afterPause, ...cancelSubscription({ subscriptionId: 'sub_1', at: '2026-01-12T00:00:00Z' }, stateOf(afterPause), context)];
    expect(stateOf(canceled).status).toBe('canceled');
    resume('2026-01-13T00:00:00Z', canceled).thenThrows(ConflictError, 'subscription-canceled');
    pause('2026-01-13T00:00:00Z', canceled).thenThrows(ConflictError, 'subscription-canceled');
  });
});

describe('billing the pending lines', () => {
  it('a run before the change does not take its lines; the one after takes them once', () => {
    const events = history({}, ['2026-01-01']);
    const changed = [...events, ...changeItems({ subscriptionId: 'sub_1', effectiveAt: '2026-01-15T00:00:00Z', items: [{ priceId: 'price_seats', quantity: 15 }] }, stateOf(events), context)];
    expect(billAt(stateOf(changed), prices, at('2026-01-14')).plan).toEqual({ lines: [], progress: stateOf(changed).progress });
    const run = billAt(stateOf(changed), prices, at('2026-01-15'));
    expect(run.plan.pendingLinesBilled).toBe(1);
    expect(billAt(run.after, prices, at('2026-01-15')).plan.lines).toEqual([]);
  });
});
