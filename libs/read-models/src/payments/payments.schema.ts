/** The payments read model's tables (created with the others by `readModelDdl`). */
export function paymentsDdl(schema: string): string {
  return `
create table if not exists ${schema}.payments (
  id text primary key,
  customer_id text not null,
  currency text not null,
  status text not null,
  amount numeric not null,
  amount_refunded numeric not null,
  received_at timestamptz not null,
  view jsonb not null,
  created_position numeric(20, 0) not null
);
create index if not exists payments_customer on ${schema}.payments (customer_id, created_position);
create unique index if not exists payments_created_position on ${schema}.payments (created_position, id);
`;
}
