/** SQL: the days an issued invoice counts, [issued_on, open_until); never reversed, so never an error. */
export const OPEN_DAYS = `daterange(issued_on, greatest(open_until, issued_on), '[)')`;

/**
 * The receivables read model's tables (created with the others by `readModelDdl`); the AR aging
 * and DSO reports read only these (docs/reporting.md, "AR aging").
 *
 * `receivable_invoices`: one row per invoice; `owed_at_issue` is the amount due at issue (the
 * total less customer credit applied then). `open_until` is the first UTC day on which the
 * invoice no longer counts: the day it was voided or written off, or the day its last settlement
 * took effect once settlements cover it; 'infinity' while it is owed. So an invoice is in the
 * aging as of D exactly when `issued_on <= D < open_until`: its open days contain D, which a GiST
 * index on that range finds among a million invoices without scanning the closed ones.
 * `last_settled_on` is the day of the latest settlement (the issue day before any).
 *
 * `receivable_settlements`: payments and credit notes applied to an invoice, each on the UTC day
 * it took effect (never before the invoice's issue day).
 */
export function receivablesDdl(schema: string): string {
  return `
create table if not exists ${schema}.receivable_invoices (
  invoice_id text primary key,
  customer_id text not null,
  currency text not null,
  total numeric not null,
  issued_on date,
  due_on date,
  owed_at_issue numeric,
  settled numeric not null default 0,
  last_settled_on date,
  voided_on date,
  written_off_on date,
  open_until date not null default 'infinity'
);
create index if not exists receivable_invoices_open_days on ${schema}.receivable_invoices
  using gist (${OPEN_DAYS}) where issued_on is not null;
create index if not exists receivable_invoices_issued on ${schema}.receivable_invoices (currency, issued_on) where issued_on is not null;
create table if not exists ${schema}.receivable_settlements (
  invoice_id text not null,
  kind text not null,
  source_id text not null,
  effective_on date not null,
  amount numeric not null,
  position numeric(20, 0) not null,
  primary key (invoice_id, kind, source_id)
);
create index if not exists receivable_settlements_effective on ${schema}.receivable_settlements (invoice_id, effective_on) include (amount);
`;
}
