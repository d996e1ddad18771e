import { createHash } from 'node:crypto';
import { InvoiceSource } from '../invoices/invoice';
import { InvoiceLineDraft } from '../invoices/invoice-lines';
import { ActiveSubscription } from '../subscriptions/subscription';
import { BillingPlan } from './billing-plan';

export interface SubscriptionCharge {
  subscription: ActiveSubscription;
  plan: BillingPlan;
}

/**
 * One invoice per customer and currency per run, across subscriptions (consolidated billing).
 * The invoice id is derived from what it bills, so a retried or concurrent run at the same `asOf`
 * names the same invoice and the log's expected-revision checks keep it single.
 */
export function consolidate(asOf: string, charges: readonly SubscriptionCharge[]): InvoiceSource[] {
  const groups = new Map<string, SubscriptionCharge[]>();
  for (const charge of charges) {
    if (charge.plan.lines.length === 0) continue;
    const key = `${charge.subscription.customerId}\u0000${charge.subscription.currency}`;
    groups.set(key, [...(groups.get(key) ?? []), charge]);
  }
  return [...groups.values()].map((group) => {
    // Code-unit order, not locale order: the invoice id must not depend on the process's locale.
    const sorted = [...group].sort((a, b) => (a.subscription.id < b.subscription.id ? -1 : a.subscription.id > b.subscription.id ? 1 : 0));
    const { customerId, currency } = sorted[0].subscription;
    const subscriptionIds = sorted.map((charge) => charge.subscription.id);
    const drafts: InvoiceLineDraft[] = sorted.flatMap((charge) => charge.plan.lines);
    return {
      id: billingRunInvoiceId(customerId, currency, asOf, subscriptionIds),
      customerId,
      currency,
      source: 'billing_run',
      billingRunAsOf: asOf,
      subscriptionIds,
      drafts,
      memo: null,
    };
  });
}

export function billingRunInvoiceId(customerId: string, currency: string, asOf: string, subscriptionIds: string[]): string {
  const digest = createHash('sha256')
    .update([customerId, currency, asOf, ...subscriptionIds].join('\u0000'))
    .digest('hex');
  return `inv_${digest.slice(0, 24)}`;
}
