import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';
import { RECORD_USAGE_PARAMETERS, recordUsageStatement } from './record-usage.sql';
import { RecordedUsage, usageColumns } from './usage-columns';

export type { RecordedUsage } from './usage-columns';

/** A billed metered period that has received usage since it was billed. */
export interface LateUsageRow {
  priceId: string;
  meterCode: string;
  periodStart: string;
  periodEnd: string;
  /** The aggregate billed for it so far, a decimal string. */
  billedQuantity: string;
}

/**
 * The periods of one subscription with late usage, ended by `asOf`, oldest first, at most
 * `limit` (the rest wait for the next run).
 */
export async function lateUsagePeriods(
  sql: SqlExecutor,
  subscriptionId: string,
  asOf: string,
  limit: number,
  schema = LIVE_SCHEMA,
): Promise<LateUsageRow[]> {
  const result = await sql.query<{ price_id: string; meter_code: string; period_start: string; period_end: string; quantity: string }>(
    `select b.price_id, b.meter_code, b.period_start, b.period_end, b.quantity::text as quantity
     from ${schema}.late_usage l
     join ${schema}.metered_billings b
       on b.subscription_id = l.subscription_id and b.price_id = l.price_id and b.period_start = l.period_start
     where l.subscription_id = $1 and l.period_end::timestamptz <= $2::timestamptz
     order by l.period_start::timestamptz, l.price_id
     limit $3`,
    [subscriptionId, asOf, limit],
  );
  return result.rows.map((row) => ({
    priceId: row.price_id,
    meterCode: row.meter_code,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    billedQuantity: normalizeDecimal(row.quantity),
  }));
}

/** `lateUsagePeriods` for many subscriptions in one query, by subscription id (a billing run's page). */
export async function lateUsagePeriodsOf(
  sql: SqlExecutor,
  subscriptionIds: readonly string[],
  asOf: string,
  limit: number,
  schema = LIVE_SCHEMA,
): Promise<Map<string, LateUsageRow[]>> {
  const result = await sql.query<{ subscription_id: string; price_id: string; meter_code: string; period_start: string; period_end: string; quantity: string }>(
    `select subscription_id, price_id, meter_code, period_start, period_end, quantity from (
       select l.subscription_id, b.price_id, b.meter_code, b.period_start, b.period_end, b.quantity::text as quantity,
              row_number() over (partition by l.subscription_id order by l.period_start::timestamptz, l.price_id) as rank
       from ${schema}.late_usage l
       join ${schema}.metered_billings b
         on b.subscription_id = l.subscription_id and b.price_id = l.price_id and b.period_start = l.period_start
       where l.subscription_id = any($1::text[]) and l.period_end::timestamptz <= $2::timestamptz) ranked
     where rank <= $3
     order by subscription_id, rank`,
    [subscriptionIds, asOf, limit],
  );
  const bySubscription = new Map<string, LateUsageRow[]>();
  for (const row of result.rows) {
    const rows = bySubscription.get(row.subscription_id) ?? [];
    rows.push({ priceId: row.price_id, meterCode: row.meter_code, periodStart: row.period_start, periodEnd: row.period_end, billedQuantity: normalizeDecimal(row.quantity) });
    bySubscription.set(row.subscription_id, rows);
  }
  return bySubscription;
}

/**
 * Marks the billed periods a usage event falls in as late (the usage projection calls it for
 * each new usage event): every subscription of the customer that billed that meter over a period
 * holding the event's timestamp, and that the event counts for (sent for the subscription, or
 * for the customer).
 */
export async function markLateUsage(
  tx: SqlExecutor,
  schema: string,
  usage: { customerId: string; subscriptionId: string | null; meterCode: string; timestamp: string; position: string },
): Promise<void> {
  await tx.query(
    `insert into ${schema}.late_usage (subscription_id, price_id, period_start, period_end)
     select subscription_id, price_id, period_start, period_end from ${schema}.metered_billings
     where customer_id = $1 and meter_code = $2
       and period_start::timestamptz <= $3::timestamptz and period_end::timestamptz > $3::timestamptz
       and ($4::text is null or subscription_id = $4) and usage_through < $5::numeric
     on conflict do nothing`,
    [usage.customerId, usage.meterCode, usage.timestamp, usage.subscriptionId, usage.position],
  );
}

/**
 * Records what a run billed for a metered period, and whether usage has arrived for it since
 * the run's snapshot (`usageThrough`): a period re-billed with all its usage is no longer late.
 */
export async function recordMeteredBilling(
  tx: SqlExecutor,
  schema: string,
  billing: {
    subscriptionId: string;
    customerId: string;
    priceId: string;
    meterCode: string;
    periodStart: string;
    periodEnd: string;
    quantity: string;
    usageThrough: string;
  },
): Promise<void> {
  const key = [billing.subscriptionId, billing.priceId, billing.periodStart];
  await tx.query(
    `insert into ${schema}.metered_billings
       (subscription_id, price_id, period_start, period_end, customer_id, meter_code, quantity, usage_through)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (subscription_id, price_id, period_start) do update
       set period_end = excluded.period_end, quantity = excluded.quantity, usage_through = excluded.usage_through`,
    [...key, billing.periodEnd, billing.customerId, billing.meterCode, billing.quantity, billing.usageThrough],
  );
  await tx.query(`delete from ${schema}.late_usage where subscription_id = $1 and price_id = $2 and period_start = $3`, key);
  await tx.query(
    `insert into ${schema}.late_usage (subscription_id, price_id, period_start, period_end)
     select $1::text, $2::text, $3::text, $4::text where exists (
       select 1 from ${schema}.usage_events
       where customer_id = $5::text and meter_code = $6::text
         and occurred_at >= $3::text::timestamptz and occurred_at < $4::text::timestamptz
         and (subscription_id is null or subscription_id = $1::text) and position > $7::numeric)`,
    [...key, billing.periodEnd, billing.customerId, billing.meterCode, billing.usageThrough],
  );
}

function normalizeDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '' ? '0' : trimmed;
}

/**
 * From this many rows on (a replay's runs: the live projector's batches are smaller), a run goes
 * through `record_usage_run` (usage.schema.ts): a plain insert first, then, only if a usage id
 * repeats, the `on conflict` statement. Without repeats (the usual log) that costs Postgres about
 * a fifth less (measured: 26-30 instead of 33-35 ms of backend CPU per 5,000 rows).
 */
export const OPTIMISTIC_USAGE_INSERT_ROWS_MIN = 1_000;

/**
 * Inserts usage rows (idempotent by usage id: the first event of an id wins) and marks late, as
 * `markLateUsage` does for one, the billed periods the newly inserted ones fall in: one statement
 * for a whole run of events, its rows sent as arrays (`usageColumns`).
 */
export async function recordUsageMany(tx: SqlExecutor, schema: string, usages: readonly RecordedUsage[]): Promise<void> {
  if (usages.length === 0) return;
  const columns = usageColumns(usages);
  const params = [
    columns.usageIds,
    columns.customers,
    columns.customerValues,
    columns.subscriptions,
    columns.subscriptionValues,
    columns.meters,
    columns.meterValues,
    columns.quantities,
    columns.timestamps,
    columns.properties,
    columns.propertyValues,
    columns.positions,
  ];
  const statement =
    usages.length < OPTIMISTIC_USAGE_INSERT_ROWS_MIN
      ? recordUsageStatement(schema, 'on conflict (usage_id) do nothing')
      : `select ${schema}.record_usage_run(${RECORD_USAGE_PARAMETERS})`;
  await tx.query(statement, params);
}
