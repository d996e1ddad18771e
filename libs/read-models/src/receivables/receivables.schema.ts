/**
 * `receivable_agings` rows never span more than this many days, cut on a fixed grid (days since
 * 2000-01-01 in blocks of it): a row holding day D starts in D's block, so the rows holding D are
 * an index range of at most one block, whatever D.
 */
export const AGING_BLOCK_DAYS = 8;

/** SQL: the first day of the grid block holding the date expression `day`. */
export function agingBlockStart(day: string): string {
  return `(${day} - (((${day} - date '2000-01-01') % ${AGING_BLOCK_DAYS} + ${AGING_BLOCK_DAYS}) % ${AGING_BLOCK_DAYS}))`;
}

/**
 * The receivables read model's tables (created with the others by `readModelDdl`); the AR aging
 * and DSO reports read only these (docs/reporting.md, "AR aging").
 *
 * `receivable_invoices`: one row per invoice; `owed_at_issue` is the amount due at issue (the
 * total less customer credit applied then). `open_until` is the first UTC day on which the
 * invoice no longer counts: the day it was voided or written off, or the day its last settlement
 * took effect once settlements cover it; 'infinity' while it is owed. So an invoice is in the
 * aging as of D exactly when `issued_on <= D < open_until`. `last_settled_on` is the day of the
 * latest settlement (the issue day before any).
 *
 * `receivable_settlements`: payments and credit notes applied to an invoice, each on the UTC day
 * it took effect (never before the invoice's issue day).
 *
 * Derived from those two, kept by the projection (docs/reporting.md, "Performance"):
 *
 * `receivable_balances`: per currency, customer and due day, what that group of invoices owes, as
 * dated rows `[valid_from, valid_until)` of a constant non-zero `balance` ('infinity' while owed).
 *
 * `receivable_agings`: per currency and customer, the aging row itself (the five buckets) as
 * dated rows `[valid_from, valid_until)` over which it is constant: it changes when a balance
 * does and when an owed balance crosses a bucket edge (due day + 1, 31, 61, 91). Days owing
 * nothing have no row. Rows are cut at the `AGING_BLOCK_DAYS` grid, except the last, open-ended
 * one, so the aging as of D is the dated rows starting in D's block that hold D plus the
 * open-ended rows started by D: two index ranges, one row per customer owing on D.
 *
 * `receivable_sales`: per currency, issue day and void day ('infinity' if not void), the totals
 * of the issued invoices: DSO's credit sales over [from, to] are the rows issued in it and not
 * void by `to`, a few rows per day of the period.
 */
export function receivablesDdl(schema: string): string {
  const buckets = 'current, d1_30, d31_60, d61_90, d90_plus';
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
create index if not exists receivable_invoices_customer on ${schema}.receivable_invoices (currency, customer_id, due_on) where issued_on is not null;
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
create table if not exists ${schema}.receivable_balances (
  currency text not null,
  customer_id text not null,
  due_on date not null,
  valid_from date not null,
  valid_until date not null,
  balance numeric not null,
  primary key (currency, customer_id, due_on, valid_from)
);
create table if not exists ${schema}.receivable_agings (
  currency text not null,
  customer_id text not null,
  valid_from date not null,
  valid_until date not null,
  current numeric not null,
  d1_30 numeric not null,
  d31_60 numeric not null,
  d61_90 numeric not null,
  d90_plus numeric not null,
  primary key (currency, customer_id, valid_from)
);
create index if not exists receivable_agings_dated on ${schema}.receivable_agings (currency, valid_from)
  include (valid_until, customer_id, ${buckets}) where valid_until <> 'infinity';
create index if not exists receivable_agings_open on ${schema}.receivable_agings (currency, valid_from)
  include (customer_id, ${buckets}) where valid_until = 'infinity';
create table if not exists ${schema}.receivable_sales (
  currency text not null,
  issued_on date not null,
  voided_on date not null,
  total numeric not null,
  primary key (currency, issued_on, voided_on)
);
`;
}
