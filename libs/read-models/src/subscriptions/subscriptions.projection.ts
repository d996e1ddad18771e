import {
  ActiveSubscription,
  nextBillingAt,
  PriceDefinition,
  subscriptionDecider,
  SubscriptionEvent,
} from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { Projection } from '../projection';

/** Subscriptions with their folded state and the instant a billing run next finds them due. */
export const subscriptionsProjection: Projection = {
  name: 'subscriptions',
  handles: new Set(['SubscriptionCreated', 'SubscriptionBilled']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type !== 'SubscriptionCreated' && event.type !== 'SubscriptionBilled') return;
    const current = await tx.query<{ state: ActiveSubscription }>(
      `select state from ${schema}.subscriptions where id = $1`,
      [event.type === 'SubscriptionCreated' ? event.data.id : recorded.streamId.slice('subscription-'.length)],
    );
    const before = current.rows[0]?.state ?? subscriptionDecider.initialState();
    const after = subscriptionDecider.evolve(before, event as SubscriptionEvent);
    if (after.status === 'none') return;
    const prices = await pricesOf(tx, schema, after);
    const due = nextBillingAt(after, prices);
    await tx.query(
      `insert into ${schema}.subscriptions (id, customer_id, status, next_billing_at, state) values ($1, $2, $3, $4, $5)
       on conflict (id) do update set status = excluded.status, next_billing_at = excluded.next_billing_at, state = excluded.state`,
      [after.id, after.customerId, after.status, due === null ? null : new Date(due).toISOString(), JSON.stringify(after)],
    );
    if (event.type === 'SubscriptionBilled') {
      await tx.query(
        `insert into ${schema}.billing_claims (invoice_id, subscription_id, customer_id, currency, as_of, lines, position)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
        [
          event.data.invoiceId,
          after.id,
          after.customerId,
          after.currency,
          event.data.asOf,
          JSON.stringify(event.data.lines),
          recorded.position.toString(),
        ],
      );
    }
  },
};

async function pricesOf(tx: SqlExecutor, schema: string, subscription: ActiveSubscription): Promise<Map<string, PriceDefinition>> {
  const result = await tx.query<{ definition: PriceDefinition }>(
    `select definition from ${schema}.prices where id = any($1::text[])`,
    [subscription.items.map((item) => item.priceId)],
  );
  return new Map(result.rows.map((row) => [row.definition.id, row.definition]));
}
