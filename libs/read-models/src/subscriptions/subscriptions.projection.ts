import {
  AccrualEventType,
  ActiveSubscription,
  nextBillingAt,
  PriceDefinition,
  SubscriptionBilled,
  subscriptionDecider,
  SubscriptionEvent,
} from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { Projection } from '../projection';
import { recordMeteredBilling } from '../usage/late-usage.queries';

const SUBSCRIPTION_EVENTS: ReadonlySet<AccrualEventType> = new Set<AccrualEventType>([
  'SubscriptionCreated',
  'SubscriptionBilled',
  'SubscriptionChanged',
  'SubscriptionCanceled',
  'SubscriptionPaused',
  'SubscriptionResumed',
]);

const LIFECYCLE_DEFAULTS = { pendingLines: [], lastChangeAt: null, cancelAt: null, cancelAtPeriodEnd: false, pausedAt: null };

/**
 * Subscriptions with their folded state and the instant a billing run next finds them due
 * (pending proration lines are due at once; an ended subscription is due no more). A
 * `SubscriptionBilled` also records the run's claim and the metered aggregates it billed.
 */
export const subscriptionsProjection: Projection = {
  name: 'subscriptions',
  handles: SUBSCRIPTION_EVENTS,
  async apply(tx, schema, { event, recorded }) {
    if (!SUBSCRIPTION_EVENTS.has(event.type)) return;
    const subscriptionEvent = event as SubscriptionEvent;
    const id = subscriptionEvent.type === 'SubscriptionCreated' ? subscriptionEvent.data.id : recorded.streamId.slice('subscription-'.length);
    const current = await tx.query<{ state: ActiveSubscription }>(`select state from ${schema}.subscriptions where id = $1`, [id]);
    // Rows written before changes, cancellations and pauses existed lack their fields.
    const before = current.rows[0] ? { ...LIFECYCLE_DEFAULTS, ...current.rows[0].state } : subscriptionDecider.initialState();
    const after = subscriptionDecider.evolve(before, subscriptionEvent);
    if (after.status === 'none') return;
    const prices = await pricesOf(tx, schema, after);
    const due = nextBillingAt(after, prices);
    await tx.query(
      `insert into ${schema}.subscriptions (id, customer_id, status, next_billing_at, state, revision) values ($1, $2, $3, $4, $5, $6)
       on conflict (id) do update set status = excluded.status, next_billing_at = excluded.next_billing_at, state = excluded.state,
         revision = excluded.revision`,
      [after.id, after.customerId, after.status, due === null ? null : new Date(due).toISOString(), JSON.stringify(after), recorded.revision.toString()],
    );
    if (subscriptionEvent.type === 'SubscriptionBilled') {
      await recordBilling(tx, schema, after, subscriptionEvent, recorded.position.toString(), prices);
    }
  },
};

async function recordBilling(
  tx: SqlExecutor,
  schema: string,
  subscription: ActiveSubscription,
  event: SubscriptionBilled,
  position: string,
  prices: ReadonlyMap<string, PriceDefinition>,
): Promise<void> {
  await tx.query(
    `insert into ${schema}.billing_claims (invoice_id, subscription_id, customer_id, currency, as_of, lines, position)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
    [event.data.invoiceId, subscription.id, subscription.customerId, subscription.currency, event.data.asOf, JSON.stringify(event.data.lines), position],
  );
  // A run from before late usage was tracked (schema v1) recorded no snapshot: nothing to compare with.
  if (event.data.usageThrough === null) return;
  for (const billed of event.data.meteredBilled) {
    const meterCode = prices.get(billed.priceId)?.recurring?.meterCode ?? (await meterCodeOf(tx, schema, billed.priceId));
    if (!meterCode) continue;
    await recordMeteredBilling(tx, schema, {
      subscriptionId: subscription.id,
      customerId: subscription.customerId,
      priceId: billed.priceId,
      meterCode,
      periodStart: billed.periodStart,
      periodEnd: billed.periodEnd,
      quantity: billed.quantity,
      usageThrough: event.data.usageThrough,
    });
  }
}

/** The prices of every item the subscription still bills, current or ended. */
async function pricesOf(tx: SqlExecutor, schema: string, subscription: ActiveSubscription): Promise<Map<string, PriceDefinition>> {
  const ids = [...new Set([...subscription.items.map((item) => item.priceId), ...subscription.progress.map((item) => item.priceId)])];
  const result = await tx.query<{ definition: PriceDefinition }>(`select definition from ${schema}.prices where id = any($1::text[])`, [ids]);
  return new Map(result.rows.map((row) => [row.definition.id, row.definition]));
}

async function meterCodeOf(tx: SqlExecutor, schema: string, priceId: string): Promise<string | null> {
  const result = await tx.query<{ definition: PriceDefinition }>(`select definition from ${schema}.prices where id = $1`, [priceId]);
  return result.rows[0]?.definition.recurring?.meterCode ?? null;
}
