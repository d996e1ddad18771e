/**
 * The ledger read model's tables (created with the others by `readModelDdl`). Days are
 * `YYYY-MM-DD` text, so they compare in calendar order. docs/reporting.md, "Journal".
 */
export function ledgerDdl(schema: string): string {
  return `
create table if not exists ${schema}.ledger_invoices (
  id text primary key,
  currency text not null,
  total numeric not null,
  tax_total numeric not null,
  revenue_total numeric not null,
  tax_inclusive boolean not null,
  lines jsonb not null,
  issued_at text,
  credit_applied numeric,
  credited numeric not null,
  voided_day text
);
create table if not exists ${schema}.ledger_recognition_lines (
  invoice_id text not null,
  line_id text not null,
  currency text not null,
  revenue_amount numeric not null,
  first_service_day text not null,
  last_service_day text not null,
  issued_day text not null,
  primary key (invoice_id, line_id)
);
create index if not exists ledger_recognition_lines_currency on ${schema}.ledger_recognition_lines (currency, invoice_id, line_id);
create table if not exists ${schema}.ledger_invoice_credits (
  credit_note_id text primary key,
  invoice_id text not null,
  credited_day text not null,
  amount numeric not null
);
create index if not exists ledger_invoice_credits_invoice on ${schema}.ledger_invoice_credits (invoice_id, credited_day);
create table if not exists ${schema}.ledger_payments (
  id text primary key,
  currency text not null,
  received_day text not null
);
create table if not exists ${schema}.journal_entries (
  entry_id text not null,
  position integer not null,
  currency text not null,
  effective_day text not null,
  account text not null,
  debit numeric not null,
  credit numeric not null,
  source_event_id text not null,
  primary key (entry_id, position)
);
create index if not exists journal_entries_currency_day on ${schema}.journal_entries (currency, effective_day, account);
`;
}
