import { PriceDefinition } from '../catalog/price';
import { toAccrualEvent } from '../events';
import { CouponDefinition } from '../catalog/coupon';
import { ConflictError, InvalidInputError, RuleViolationError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { at, priceDefinition, pricesById } from '../testing/fixtures';
import {
  cadenceOf,
  CreateSubscription,
  createSubscription,
  CreateSubscriptionContext,
  cycleReference,
  MAX_SUBSCRIPTION_ITEMS,
  SubscriptionBilled,
  SubscriptionCreated,
  subscriptionDecider,
} from './subscription';

const seats = priceDefinition({ id: 'price_seats' });
const apiCalls = priceDefinition({
  id: 'price_api',
  recurring: { interval: 'month', intervalCount: 1, usage: 'metered', meterCode: 'api_calls' },
  unitAmount: '0.001',
});
const setupFee = priceDefinition({ id: 'price_setup', recurring: null, model: 'flat', unitAmount: null, flatAmount: '100' });
const seatsInEuro = priceDefinition({ id: 'price_seats_eur', currency: 'EUR' });

const context: CreateSubscriptionContext = {
  customerCurrency: 'USD',
  prices: pricesById(seats, apiCalls, setupFee, seatsInEuro),
  wallClockNow: at('2026-01-15T00:00:00Z'),
};

const welcome: CouponDefinition = {
  id: 'WELCOME',
  percentOff: '20',
  amountOff: null,
  currency: null,
  duration: 'once',
  durationInMonths: null,
};

const command: CreateSubscription = {
  id: 'sub_1',
  customerId: 'cus_1',
  startDate: '2026-01-15T00:00:00Z',
  items: [{ priceId: 'price_seats', quantity: 5 }, { priceId: 'price_api' }],
};

const created: SubscriptionCreated = {
  type: 'SubscriptionCreated',
  data: {
    id: 'sub_1',
    customerId: 'cus_1',
    currency: 'USD',
    startDate: '2026-01-15T00:00:00Z',
    billingAnchor: null,
    trialEnd: null,
    couponId: null,
    items: [
      { priceId: 'price_seats', quantity: '5' },
      { priceId: 'price_api', quantity: '1' },
    ],
  },
};

const decide = (overrides: Partial<CreateSubscription>, withContext: CreateSubscriptionContext = context) =>
  given(subscriptionDecider).when((state) => createSubscription({ ...command, ...overrides }, state, withContext));

describe('createSubscription', () => {
  it('creates an active subscription whose items start billing at startDate', () => {
    const state = decide({}).then([created]);
    expect(state).toEqual({
      ...created.data,
      status: 'active',
      progress: [
        { priceId: 'price_seats', licensedBilledUntil: '2026-01-15T00:00:00Z', meteredBilledUntil: '2026-01-15T00:00:00Z' },
        { priceId: 'price_api', licensedBilledUntil: '2026-01-15T00:00:00Z', meteredBilledUntil: '2026-01-15T00:00:00Z' },
      ],
      invoiceIds: [],
      pendingLines: [],
      lastChangeAt: null,
      cancelAt: null,
      cancelAtPeriodEnd: false,
      pausedAt: null,
    });
  });

  it('normalizes instants to UTC and quantities to canonical decimals', () => {
    const [event] = decide({
      startDate: '2026-01-15T01:00:00+01:00',
      billingAnchor: '2026-02-01T00:00:00.000Z',
      items: [{ priceId: 'price_seats', quantity: '2.50' }],
      couponId: 'WELCOME',
    }, { ...context, coupon: welcome }).events();
    expect(event.data).toMatchObject({
      startDate: '2026-01-15T00:00:00Z',
      billingAnchor: '2026-02-01T00:00:00Z',
      couponId: 'WELCOME',
      items: [{ priceId: 'price_seats', quantity: '2.5' }],
    });
  });

  it('takes its currency from the customer', () => {
    const [event] = decide({ items: [{ priceId: 'price_seats_eur' }] }, { ...context, customerCurrency: 'EUR' }).events() as SubscriptionCreated[];
    expect(event.data.currency).toBe('EUR');
  });

  it('a trial makes it trialing, and service (billing progress) starts at trialEnd', () => {
    const state = decide({ trialEnd: '2026-01-29T00:00:00Z' }).thenState();
    expect(state).toMatchObject({
      status: 'trialing',
      trialEnd: '2026-01-29T00:00:00Z',
      progress: [
        { priceId: 'price_seats', licensedBilledUntil: '2026-01-29T00:00:00Z', meteredBilledUntil: '2026-01-29T00:00:00Z' },
        { priceId: 'price_api', licensedBilledUntil: '2026-01-29T00:00:00Z', meteredBilledUntil: '2026-01-29T00:00:00Z' },
      ],
    });
  });

  it('refuses an id that exists: ConflictError subscription-exists', () => {
    given(subscriptionDecider, [created])
      .when((state) => createSubscription(command, state, context))
      .thenThrows(ConflictError, 'subscription-exists');
  });

  describe('business rules on the prices', () => {
    it('an unknown price: unknown-price', () => {
      decide({ items: [{ priceId: 'price_seats' }, { priceId: 'price_nope' }] }).thenThrows(RuleViolationError, 'unknown-price');
    });

    it('a one-time price: price-not-recurring', () => {
      decide({ items: [{ priceId: 'price_setup' }] }).thenThrows(RuleViolationError, 'price-not-recurring');
    });

    it('a price in another currency than the customer’s: currency-mismatch', () => {
      decide({ items: [{ priceId: 'price_seats' }, { priceId: 'price_seats_eur' }] }).thenThrows(RuleViolationError, 'currency-mismatch');
    });
  });

  describe('the coupon', () => {
    const tenOff = (currency: string): CouponDefinition => ({ ...welcome, id: 'TENOFF', percentOff: null, amountOff: '10.00', currency });

    it('is kept on the subscription when it exists', () => {
      const [event] = decide({ couponId: 'WELCOME' }, { ...context, coupon: welcome }).events() as SubscriptionCreated[];
      expect(event.data.couponId).toBe('WELCOME');
      const [amountOff] = decide({ couponId: 'TENOFF' }, { ...context, coupon: tenOff('USD') }).events() as SubscriptionCreated[];
      expect(amountOff.data.couponId).toBe('TENOFF');
    });

    it('none named: couponId null', () => {
      const [event] = decide({ couponId: null }).events() as SubscriptionCreated[];
      expect(event.data.couponId).toBeNull();
    });

    it('a coupon that does not exist: unknown-coupon', () => {
      decide({ couponId: 'NOPE' }).thenThrows(RuleViolationError, 'unknown-coupon');
      decide({ couponId: 'NOPE' }, { ...context, coupon: null }).thenThrows(RuleViolationError, 'unknown-coupon');
      decide({ couponId: 'NOPE' }, { ...context, coupon: welcome }).thenThrows(RuleViolationError, 'unknown-coupon');
    });

    it('an amount-off coupon in another currency than the customer’s: currency-mismatch', () => {
      decide({ couponId: 'TENOFF' }, { ...context, coupon: tenOff('EUR') }).thenThrows(RuleViolationError, 'currency-mismatch');
    });

    it.each([42, '', 'not valid', 'x'.repeat(65)])('a couponId off the id pattern (%j) is bad input', (couponId) => {
      expect(fieldsOf(decide({ couponId }).thenThrows(InvalidInputError))).toEqual(['couponId']);
    });
  });

  describe('bad input', () => {
    it('the same price twice', () => {
      const error = decide({ items: [{ priceId: 'price_seats' }, { priceId: 'price_api' }, { priceId: 'price_seats', quantity: 2 }] }).thenThrows(
        InvalidInputError,
      );
      expect(fieldsOf(error)).toEqual(['items[2].priceId']);
    });

    it.each([['2026-01-15T00:00:00Z'], ['2026-01-14T00:00:00Z'], ['2026-01-15T01:00:00+01:00']])(
      'a trialEnd (%s) not after startDate',
      (trialEnd) => {
        expect(fieldsOf(decide({ trialEnd }).thenThrows(InvalidInputError))).toEqual(['trialEnd']);
      },
    );

    it('a startDate more than 5 minutes ahead of the wall clock (backdating is fine)', () => {
      expect(fieldsOf(decide({ startDate: '2026-01-15T00:05:01Z' }).thenThrows(InvalidInputError))).toEqual(['startDate']);
      expect(decide({ startDate: '2026-01-15T00:05:00Z' }).events()).toHaveLength(1);
      expect(decide({ startDate: '2019-03-01T00:00:00Z' }).events()).toHaveLength(1);
    });

    it('a billingAnchor before startDate', () => {
      expect(fieldsOf(decide({ billingAnchor: '2026-01-14T23:59:59Z' }).thenThrows(InvalidInputError))).toEqual(['billingAnchor']);
    });

    it('a billingAnchor before trialEnd, the service start', () => {
      const error = decide({ trialEnd: '2026-02-01T00:00:00Z', billingAnchor: '2026-01-20T00:00:00Z' }).thenThrows(InvalidInputError);
      expect(fieldsOf(error)).toEqual(['billingAnchor']);
    });

    it('a billingAnchor at the service start is fine', () => {
      const [anchored] = decide({ billingAnchor: '2026-01-15T00:00:00Z' }).events() as SubscriptionCreated[];
      expect(anchored.data.billingAnchor).toBe('2026-01-15T00:00:00Z');
      expect(decide({ trialEnd: '2026-02-01T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z' }).events()).toHaveLength(1);
    });

    it.each([
      ['startDate', { startDate: undefined }],
      ['startDate', { startDate: '2026-02-30T00:00:00Z' }],
      ['startDate', { startDate: 1768435200000 }],
      ['billingAnchor', { billingAnchor: 'next month' }],
      ['trialEnd', { trialEnd: '2026-01-29' }],
      ['items', { items: [] }],
      ['items', { items: { priceId: 'price_seats' } }],
      ['items', { items: Array.from({ length: MAX_SUBSCRIPTION_ITEMS + 1 }, (_, index) => ({ priceId: `price_${index}` })) }],
      ['items[0].priceId', { items: [{ quantity: 1 }] }],
      ['items[0].priceId', { items: [{ priceId: '' }] }],
      ['items[0].quantity', { items: [{ priceId: 'price_seats', quantity: '-1' }] }],
      ['items[0].quantity', { items: [{ priceId: 'price_seats', quantity: 2.5 }] }],
      ['items[0].quantity', { items: [{ priceId: 'price_seats', quantity: '1.0000000000001' }] }],
    ])('blames %s', (field, overrides) => {
      expect(fieldsOf(decide(overrides as Partial<CreateSubscription>).thenThrows(InvalidInputError))).toEqual([field]);
    });

    it('reports every bad field before any business rule', () => {
      const error = decide({ startDate: 'soon', trialEnd: 'later', items: [{ priceId: 'price_nope', quantity: 'many' }] }).thenThrows(
        InvalidInputError,
      );
      expect(fieldsOf(error)).toEqual(['items[0].quantity', 'startDate', 'trialEnd']);
    });
  });
});

describe('subscriptionDecider.evolve', () => {
  const billed: SubscriptionBilled = {
    type: 'SubscriptionBilled',
    data: {
      customerId: 'cus_1',
      invoiceId: 'inv_1',
      asOf: '2026-01-29T00:00:00Z',
      lines: [],
      progress: [{ priceId: 'price_seats', licensedBilledUntil: '2026-02-28T00:00:00Z', meteredBilledUntil: '2026-01-29T00:00:00Z' }],
      pendingLinesBilled: 0,
      meteredBilled: [],
      usageThrough: null,
    },
  };

  it('SubscriptionBilled records the progress and the invoice, and ends a trial', () => {
    const trialing: SubscriptionCreated = { ...created, data: { ...created.data, trialEnd: '2026-01-29T00:00:00Z' } };
    const state = given(subscriptionDecider, [trialing, billed, { ...billed, data: { ...billed.data, invoiceId: 'inv_2' } }]).state;
    expect(state).toMatchObject({ status: 'active', progress: billed.data.progress, invoiceIds: ['inv_1', 'inv_2'] });
  });

  it('a SubscriptionBilled of schema v1 reads back with no pending lines billed and no metered aggregates', () => {
    const { pendingLinesBilled: _p, meteredBilled: _m, usageThrough: _u, ...v1 } = billed.data;
    expect(toAccrualEvent('SubscriptionBilled', 1, v1)).toEqual(billed);
    expect(toAccrualEvent('SubscriptionBilled', 2, billed.data)).toEqual(billed);
  });

  it('SubscriptionBilled without a subscription changes nothing', () => {
    expect(given(subscriptionDecider, [billed]).state).toEqual({ status: 'none' });
  });
});

describe('cycles', () => {
  const subscription = (overrides: Partial<SubscriptionCreated['data']>) => ({ ...created.data, ...overrides });

  it('boundaries count from the billing anchor, else the trial end, else the start date', () => {
    expect(cycleReference(subscription({}))).toBe(at('2026-01-15'));
    expect(cycleReference(subscription({ trialEnd: '2026-01-29T00:00:00Z' }))).toBe(at('2026-01-29'));
    expect(cycleReference(subscription({ trialEnd: '2026-01-29T00:00:00Z', billingAnchor: '2026-02-01T00:00:00Z' }))).toBe(at('2026-02-01'));
  });

  it('a price’s cadence is its interval and count', () => {
    const quarterly: PriceDefinition['recurring'] = { interval: 'month', intervalCount: 3, usage: 'licensed', meterCode: null };
    expect(cadenceOf(quarterly!)).toEqual({ interval: 'month', intervalCount: 3 });
  });
});
