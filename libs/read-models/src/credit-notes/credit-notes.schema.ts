/** The credit notes read model's tables (created with the others by `readModelDdl`). */
export function creditNotesDdl(schema: string): string {
  return `
create table if not exists ${schema}.credit_notes (
  id text primary key,
  invoice_id text not null,
  customer_id text not null,
  currency text not null,
  amount numeric not null,
  issued_at timestamptz not null,
  view jsonb not null,
  created_position numeric(20, 0) not null
);
create index if not exists credit_notes_invoice on ${schema}.credit_notes (invoice_id, created_position);
create index if not exists credit_notes_customer on ${schema}.credit_notes (customer_id, created_position);
`;
}
