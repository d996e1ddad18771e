import { SqlClient } from '@accrual/database';
import { catalogDdl } from './catalog/catalog.schema';
import { balancesDdl } from './balances/balances.schema';
import { creditNotesDdl } from './credit-notes/credit-notes.schema';
import { paymentsDdl } from './payments/payments.schema';
import { usageDdl } from './usage/usage.schema';
import { receivablesDdl } from './receivables/receivables.schema';
import { ledgerDdl } from './ledger/ledger.schema';

/** The live read models' schema. A replay for auditors builds the same tables in another one. */
export const LIVE_SCHEMA = 'read_models';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`schema name must match ${IDENTIFIER}, got ${schema}`);
  return schema;
}

/** Idempotent DDL: every table a projection writes and a query reads. */
export function readModelDdl(schema: string): string {
  const s = assertSchemaName(schema);
  return `
create schema if not exists ${s};
create table if not exists ${s}.checkpoints (
  projection text primary key,
  position numeric(20, 0) not null
);
create table if not exists ${s}.customers (
  id text primary key,
  currency text not null,
  profile jsonb not null,
  created_position bigint not null
);
create table if not exists ${s}.meters (
  code text primary key,
  aggregation text not null,
  unique_by text,
  definition jsonb not null
);
create table if not exists ${s}.prices (
  id text primary key,
  currency text not null,
  definition jsonb not null
);
create table if not exists ${s}.subscriptions (
  id text primary key,
  customer_id text not null,
  status text not null,
  next_billing_at timestamptz,
  state jsonb not null,
  revision bigint
);
-- The stream revision the state was folded to: a billing run claims at it (tables made before it was kept: null).
alter table ${s}.subscriptions add column if not exists revision bigint;
create index if not exists subscriptions_due on ${s}.subscriptions (next_billing_at) where next_billing_at is not null;
create index if not exists subscriptions_customer on ${s}.subscriptions (customer_id);
create table if not exists ${s}.usage_events (
  usage_id text primary key,
  customer_id text not null,
  subscription_id text,
  meter_code text not null,
  quantity numeric not null,
  occurred_at timestamptz not null,
  properties jsonb not null,
  position numeric(20, 0) not null
);
create index if not exists usage_events_window on ${s}.usage_events (customer_id, meter_code, occurred_at);
create table if not exists ${s}.invoices (
  id text primary key,
  customer_id text not null,
  status text not null,
  currency text not null,
  number text,
  issued_at timestamptz,
  due_date date,
  total numeric not null,
  amount_due numeric not null,
  view jsonb not null,
  created_position numeric(20, 0) not null
);
create index if not exists invoices_customer on ${s}.invoices (customer_id, created_position);
create index if not exists invoices_status on ${s}.invoices (status, created_position);
create unique index if not exists invoices_created_position on ${s}.invoices (created_position, id);
create table if not exists ${s}.billing_claims (
  invoice_id text not null,
  subscription_id text not null,
  customer_id text not null,
  currency text not null,
  as_of text not null,
  lines jsonb not null,
  position numeric(20, 0) not null,
  primary key (invoice_id, subscription_id)
);
${catalogDdl(s)}${paymentsDdl(s)}${creditNotesDdl(s)}${balancesDdl(s)}${usageDdl(s)}${receivablesDdl(s)}${ledgerDdl(s)}`;
}

/**
 * The read models' shape and meaning. Bump it when a projection's tables or what it writes
 * change: at start, a schema made by another version is dropped and the projector rebuilds every
 * read model from the log (the log is the truth; read models are disposable). Without it, a table
 * added to an existing database would stay empty for the events already projected.
 */
export const READ_MODEL_VERSION = 2;

/** Serialises migrations of one database's read models across processes starting together. */
const READ_MODEL_MIGRATION_LOCK = 'select pg_advisory_xact_lock(1094931040, 0)';

/**
 * Creates the read models' tables, first dropping a schema of another `READ_MODEL_VERSION` (or of
 * none: made before versions were kept). One script, so one transaction under the lock.
 */
export async function migrateReadModels(sql: SqlClient, schema: string = LIVE_SCHEMA): Promise<void> {
  const s = assertSchemaName(schema);
  await sql.exec(`
${READ_MODEL_MIGRATION_LOCK};
do $migrate$
declare
  v_version integer;
begin
  if to_regclass('${s}.checkpoints') is not null then
    if to_regclass('${s}.schema_version') is not null then
      execute 'select max(version) from ${s}.schema_version' into v_version;
    end if;
    if v_version is distinct from ${READ_MODEL_VERSION} then
      execute 'drop schema ${s} cascade';
    end if;
  end if;
end
$migrate$;
${readModelDdl(s)}
create table if not exists ${s}.schema_version (version integer not null);
delete from ${s}.schema_version where version <> ${READ_MODEL_VERSION};
insert into ${s}.schema_version (version) select ${READ_MODEL_VERSION}
  where not exists (select 1 from ${s}.schema_version);
`);
}
