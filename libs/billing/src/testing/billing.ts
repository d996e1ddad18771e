import Big from 'big.js';
import { StrictBig } from '@accrual/money';
import { PriceDefinition } from '../catalog/price';
import { BillingPlan, MeteredPeriod, planBilling, UsageLookup } from '../billing-runs/billing-plan';
import { ActiveSubscription, SubscriptionBilled, subscriptionDecider } from '../subscriptions/subscription';
import { formatInstant, Instant } from '../time/instant';

/** Usage that no customer sent. */
export const noUsage: UsageLookup = () => new StrictBig('0');

/** The same usage for every period. */
export const usageOf = (quantity: string): UsageLookup => () => new StrictBig(quantity);

/** A usage lookup that remembers which periods it was asked about. */
export function recordingUsage(quantityFor: (period: MeteredPeriod) => Big = () => new StrictBig('1')) {
  const asked: MeteredPeriod[] = [];
  const lookup: UsageLookup = (period) => {
    asked.push(period);
    return quantityFor(period);
  };
  return { lookup, asked };
}

/** The event a billing run appends to the subscription once its plan is invoiced. */
export function subscriptionBilled(subscription: ActiveSubscription, plan: BillingPlan, asOf: Instant, invoiceId = 'inv_test'): SubscriptionBilled {
  return {
    type: 'SubscriptionBilled',
    data: {
      customerId: subscription.customerId,
      invoiceId,
      asOf: formatInstant(asOf),
      lines: plan.lines,
      progress: plan.progress,
      pendingLinesBilled: plan.pendingLinesBilled ?? 0,
      meteredBilled: plan.meteredBilled ?? [],
      usageThrough: null,
    },
  };
}

/** Plans at `asOf` and applies the plan's progress, as a billing run would: the plan and the state after. */
export function billAt(
  subscription: ActiveSubscription,
  prices: ReadonlyMap<string, PriceDefinition>,
  asOf: Instant,
  usage: UsageLookup = noUsage,
): { plan: BillingPlan; after: ActiveSubscription } {
  const plan = planBilling(subscription, prices, asOf, usage);
  const after = subscriptionDecider.evolve(subscription, subscriptionBilled(subscription, plan, asOf)) as ActiveSubscription;
  return { plan, after };
}
