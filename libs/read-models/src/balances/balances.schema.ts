/** Customer credit balances, per customer and currency (created with the others by `readModelDdl`). */
export function balancesDdl(schema: string): string {
  return `
create table if not exists ${schema}.customer_credit_balances (
  customer_id text not null,
  currency text not null,
  balance numeric not null,
  primary key (customer_id, currency)
);
`;
}
