/**
 * The statement that records a run of usage events (`recordUsageMany`, and the function
 * `record_usage_run` in usage.schema.ts): $1-$12 are `usageColumns`' arrays, in its order. It
 * inserts the rows in log order and marks late, as `markLateUsage` does for one, the billed periods
 * the newly inserted ones fall in. `onConflict` is empty (a repeated usage id fails the statement)
 * or `on conflict (usage_id) do nothing` (the first event of an id wins).
 */
export function recordUsageStatement(schema: string, onConflict: string): string {
  return `with given as (
       select r.usage_id, d.customers[r.customer] as customer_id, d.subscriptions[r.subscription] as subscription_id,
              d.meters[r.meter] as meter_code, r.quantity, r.occurred_at, d.properties[r.property] as properties, r.position, r.ordinal
       from unnest($1::text[], $2::integer[], $4::integer[], $6::integer[], $8::numeric[], $9::timestamptz[], $10::integer[], $12::bigint[])
              with ordinality as r(usage_id, customer, subscription, meter, quantity, occurred_at, property, position, ordinal)
       cross join (select $3::text[] as customers, $5::text[] as subscriptions, $7::text[] as meters, $11::jsonb[] as properties) d
     ), inserted as (
       insert into ${schema}.usage_events
         (usage_id, customer_id, subscription_id, meter_code, quantity, occurred_at, properties, position)
       select usage_id, customer_id, subscription_id, meter_code, quantity, occurred_at, properties, position
       from given order by ordinal
       ${onConflict}
       returning customer_id, subscription_id, meter_code, occurred_at, position
     )
     insert into ${schema}.late_usage (subscription_id, price_id, period_start, period_end)
     select distinct m.subscription_id, m.price_id, m.period_start, m.period_end
     from inserted i join ${schema}.metered_billings m
       on m.customer_id = i.customer_id and m.meter_code = i.meter_code
      and m.period_start::timestamptz <= i.occurred_at and m.period_end::timestamptz > i.occurred_at
      and (i.subscription_id is null or m.subscription_id = i.subscription_id) and m.usage_through < i.position
     on conflict do nothing`;
}

/** `record_usage_run`'s parameters, typed as `recordUsageStatement` reads them. */
export const RECORD_USAGE_PARAMETER_TYPES = [
  'text[]',
  'integer[]',
  'text[]',
  'integer[]',
  'text[]',
  'integer[]',
  'text[]',
  'numeric[]',
  'timestamptz[]',
  'integer[]',
  'jsonb[]',
  'bigint[]',
] as const;

/** The placeholders of a call of `record_usage_run`. */
export const RECORD_USAGE_PARAMETERS = RECORD_USAGE_PARAMETER_TYPES.map((type, index) => `$${index + 1}::${type}`).join(', ');
