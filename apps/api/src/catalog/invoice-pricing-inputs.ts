import {
  CouponDefinition,
  couponDecider,
  couponDiscountsFor,
  CustomerProfile,
  customerDecider,
  fold,
  InvoiceSource,
  matchTaxRate,
  streams,
  SubscriptionBilled,
  SubscriptionEvent,
  SubscriptionLines,
  subscriptionDecider,
  TaxRateDefinition,
} from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { EventStore } from '@accrual/event-store';
import { loadStream, Runtime, toDomainEvent } from '@accrual/platform';
import { taxRatesOfCountry } from '@accrual/read-models';

/**
 * What pricing an invoice needs from outside it (docs/billing.md, "Discounts and tax"): the
 * customer's tax rate, and the coupon of each subscription whose lines are on it. The pricing
 * itself is pure (`invoiceCreated` → `priceInvoice`).
 */

/** The customer's matching tax rate, from the tax-rates read model; none for a tax-exempt customer. */
export async function customerTaxRate(
  sql: SqlExecutor,
  customer: Pick<CustomerProfile, 'country' | 'region' | 'taxExempt'>,
): Promise<TaxRateDefinition | null> {
  if (customer.taxExempt) return null;
  return matchTaxRate(await taxRatesOfCountry(sql, customer.country), customer);
}

/**
 * A billing run's invoice with its pricing: each subscription's coupon over the lines that
 * subscription billed on this invoice (read back from its `SubscriptionBilled`, so a run that
 * finishes a crashed run's invoice prices it the same way), and the customer's tax rate.
 */
export async function withPricing(runtime: Runtime, source: InvoiceSource): Promise<InvoiceSource> {
  const customer = await loadStream(runtime.eventStore, streams.customer(source.customerId), customerDecider);
  if (customer.state.status === 'none') throw new Error(`invoice ${source.id}: customer ${source.customerId} does not exist`);
  const groups: SubscriptionLines[] = [];
  for (const subscriptionId of source.subscriptionIds) {
    groups.push(await subscriptionLinesOn(runtime.eventStore, source.id, subscriptionId));
  }
  const { drafts, discounts } = couponDiscountsFor(source.id, source.currency, groups);
  // The invoice's lines are the subscriptions' billed lines, in order; anything else is a bug upstream.
  if (canonical(drafts) !== canonical(source.drafts)) {
    throw new Error(`invoice ${source.id}: its lines differ from what its subscriptions recorded as billed on it`);
  }
  const taxRate = await customerTaxRate(runtime.sql, customer.state.customer);
  return { ...source, pricing: { discounts, taxRate, taxExempt: customer.state.customer.taxExempt } };
}

/**
 * Lines as text with their keys sorted and undefined fields left out, as stored JSON has them: a
 * stored event's JSON may come back with its keys reordered.
 */
function canonical(lines: readonly object[]): string {
  const entriesOf = (line: object) =>
    Object.entries(line)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(lines.map(entriesOf));
}

async function subscriptionLinesOn(store: EventStore, invoiceId: string, subscriptionId: string): Promise<SubscriptionLines> {
  const events = (await store.readStream(streams.subscription(subscriptionId))).map((recorded) => toDomainEvent(recorded) as SubscriptionEvent);
  const subscription = fold(subscriptionDecider, events);
  const billed = events.find(
    (event): event is SubscriptionBilled => event.type === 'SubscriptionBilled' && event.data.invoiceId === invoiceId,
  );
  if (subscription.status === 'none' || !billed) {
    throw new Error(`invoice ${invoiceId}: subscription ${subscriptionId} recorded no lines on it`);
  }
  const coupon = subscription.couponId === null ? null : await loadCoupon(store, subscription.couponId);
  return { subscription, coupon, lines: billed.data.lines };
}

async function loadCoupon(store: EventStore, couponId: string): Promise<CouponDefinition | null> {
  const loaded = await loadStream(store, streams.coupon(couponId), couponDecider);
  return loaded.state.status === 'active' ? loaded.state.coupon : null;
}
