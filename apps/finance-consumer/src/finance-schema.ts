import { SqlClient } from '@accrual/database';

/** The consumer's own schema: it shares nothing with Accrual's database but the server, if that. */
export const FINANCE_SCHEMA = 'finance_consumer';

/**
 * - `journal_lines`: the general-ledger export, one row per side of a balanced entry;
 * - `processed_events`: every CloudEvent id applied, written in the same transaction as its
 *   effect, so a repeat finds its id and changes nothing;
 * - `invoices`, `payments`: what later events of the same document need (amounts, days);
 * - `rejected_messages`: messages that are not CloudEvents of the ledger, or whose data cannot
 *   be posted, kept for a human.
 * Days are SQL `date`s, amounts `numeric` in the currency's minor unit.
 */
export const FINANCE_DDL = `
create schema if not exists ${FINANCE_SCHEMA};
create table if not exists ${FINANCE_SCHEMA}.processed_events (
  event_id text primary key,
  event_type text not null,
  log_position numeric not null,
  topic text not null,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  outcome text not null,
  reason text,
  processed_at timestamptz not null default now()
);
create table if not exists ${FINANCE_SCHEMA}.journal_lines (
  event_id text not null references ${FINANCE_SCHEMA}.processed_events (event_id),
  line_number integer not null,
  entry_date date not null,
  account text not null,
  currency text not null,
  debit numeric not null check (debit >= 0),
  credit numeric not null check (credit >= 0),
  event_type text not null,
  customer_id text not null,
  invoice_id text,
  payment_id text,
  credit_note_id text,
  primary key (event_id, line_number)
);
create index if not exists journal_lines_date on ${FINANCE_SCHEMA}.journal_lines (entry_date, currency, account);
create table if not exists ${FINANCE_SCHEMA}.invoices (
  id text primary key,
  customer_id text not null,
  currency text not null,
  total numeric not null,
  tax_total numeric not null,
  revenue_total numeric not null,
  tax_inclusive boolean not null,
  lines jsonb not null,
  issued_at text,
  credit_applied numeric not null,
  credited numeric not null
);
create table if not exists ${FINANCE_SCHEMA}.payments (
  id text primary key,
  customer_id text not null,
  currency text not null,
  received_day date not null
);
create table if not exists ${FINANCE_SCHEMA}.rejected_messages (
  topic text not null,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  reason text not null,
  value text,
  rejected_at timestamptz not null default now(),
  primary key (topic, kafka_partition, kafka_offset)
);
`;

export async function migrateFinanceSchema(sql: SqlClient): Promise<void> {
  await sql.transaction(async (tx) => {
    // Two consumers starting at once would race on `create ... if not exists`; the lock serializes them.
    await tx.query(`select pg_advisory_xact_lock(hashtext('${FINANCE_SCHEMA}'))`);
    for (const statement of FINANCE_DDL.split(';').map((text) => text.trim()).filter(Boolean)) {
      await tx.query(statement);
    }
  });
}
