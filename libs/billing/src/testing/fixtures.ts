import { PriceDefinition, Recurring } from '../catalog/price';
import { fold } from '../shared/decider';
import {
  ActiveSubscription,
  createSubscription,
  CreateSubscription,
  SubscriptionEvent,
  subscriptionDecider,
} from '../subscriptions/subscription';
import { parseInstant } from '../time/instant';

/** `at('2026-01-15')` or `at('2026-01-15T10:00:00Z')`: an instant, for readable tests. */
export function at(text: string): number {
  return parseInstant('at', text.includes('T') ? text : `${text}T00:00:00Z`);
}

export const monthlyLicensed: Recurring = { interval: 'month', intervalCount: 1, usage: 'licensed', meterCode: null };

/** A valid price definition: per_unit 10 USD a month unless told otherwise. */
export function priceDefinition(overrides: Partial<PriceDefinition> = {}): PriceDefinition {
  return {
    id: 'price_1',
    product: 'Seats',
    currency: 'USD',
    recurring: monthlyLicensed,
    model: 'per_unit',
    unitAmount: '10',
    flatAmount: null,
    packageSize: null,
    tiers: null,
    ...overrides,
  };
}

export function pricesById(...prices: PriceDefinition[]): Map<string, PriceDefinition> {
  return new Map(prices.map((price) => [price.id, price]));
}

/**
 * A subscription as the decider makes it: `createSubscription` against the given prices, folded,
 * plus any later events (SubscriptionBilled).
 */
export function subscriptionOf(
  command: Partial<CreateSubscription> & Pick<CreateSubscription, 'startDate' | 'items'>,
  prices: ReadonlyMap<string, PriceDefinition>,
  later: SubscriptionEvent[] = [],
  customerCurrency = 'USD',
): ActiveSubscription {
  const created = createSubscription(
    { id: 'sub_1', customerId: 'cus_1', ...command },
    subscriptionDecider.initialState(),
    { customerCurrency, prices, wallClockNow: at('2200-01-01') },
  );
  const state = fold(subscriptionDecider, [...created, ...later]);
  if (state.status === 'none') throw new Error('subscription fixture did not create a subscription');
  return state;
}
