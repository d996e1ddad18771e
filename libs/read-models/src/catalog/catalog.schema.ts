/**
 * Tax rates and coupons, as the billing run and the draft-invoice handler look them up. The
 * `created_position` is the rate's place in the log: where several rates match a customer at the
 * same level, the earliest created wins (`matchTaxRate`), whatever order rows come back in.
 */
export function catalogDdl(s: string): string {
  return `
create table if not exists ${s}.tax_rates (
  id text primary key,
  country text not null,
  region text,
  definition jsonb not null,
  created_position numeric(20, 0) not null
);
create index if not exists tax_rates_country on ${s}.tax_rates (country, created_position);
create table if not exists ${s}.coupons (
  id text primary key,
  definition jsonb not null,
  created_position numeric(20, 0) not null
);
`;
}
