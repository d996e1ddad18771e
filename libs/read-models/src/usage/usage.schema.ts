import { RECORD_USAGE_PARAMETER_TYPES, recordUsageStatement } from './record-usage.sql';

/**
 * Late usage (docs/billing.md, "Late usage"). `metered_billings` holds, per subscription, price
 * and metered period, the aggregate a billing run billed and the log position its usage was
 * aggregated up to. `late_usage` marks the billed periods that have received usage since: the
 * next run re-aggregates exactly those, and a marker goes away once a run re-billed its period
 * with all the usage it had. Both tables only grow with periods billed and late periods found.
 */
export function usageDdl(s: string): string {
  return `
create table if not exists ${s}.metered_billings (
  subscription_id text not null,
  price_id text not null,
  period_start text not null,
  period_end text not null,
  customer_id text not null,
  meter_code text not null,
  quantity numeric not null,
  usage_through numeric(20, 0) not null,
  primary key (subscription_id, price_id, period_start)
);
create index if not exists metered_billings_meter on ${s}.metered_billings (customer_id, meter_code);
create table if not exists ${s}.late_usage (
  subscription_id text not null,
  price_id text not null,
  period_start text not null,
  period_end text not null,
  primary key (subscription_id, price_id, period_start)
);
create index if not exists late_usage_due on ${s}.late_usage (period_end);
${recordUsageRunDdl(s)}
`;
}

/**
 * A long run of usage events in one call (a replay's pages): first the insert without
 * `on conflict`, cheaper for Postgres, and only if a usage id repeats (a unique violation rolls
 * the block back) the `on conflict` one, so the rows are the same either way. One round trip,
 * where a savepoint around the plain insert would take three.
 */
function recordUsageRunDdl(s: string): string {
  return `create or replace function ${s}.record_usage_run(${RECORD_USAGE_PARAMETER_TYPES.join(', ')})
returns void
language plpgsql
as $record_usage_run$
begin
  begin
    ${recordUsageStatement(s, '')};
  exception when unique_violation then
    ${recordUsageStatement(s, 'on conflict (usage_id) do nothing')};
  end;
end
$record_usage_run$;`;
}
