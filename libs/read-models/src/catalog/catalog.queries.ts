import { CouponDefinition, TaxRateDefinition } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';

/** A bound on one country's tax rates read at once (a limit on everything). */
export const MAX_TAX_RATES_PER_COUNTRY = 1000;

/** The tax rates of a country, oldest first (the order `matchTaxRate` relies on). */
export async function taxRatesOfCountry(sql: SqlExecutor, country: string, schema = LIVE_SCHEMA): Promise<TaxRateDefinition[]> {
  const result = await sql.query<{ definition: TaxRateDefinition }>(
    `select definition from ${schema}.tax_rates where country = $1 order by created_position, id limit $2`,
    [country, MAX_TAX_RATES_PER_COUNTRY],
  );
  return result.rows.map((row) => row.definition);
}

export async function findTaxRate(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<TaxRateDefinition | null> {
  const result = await sql.query<{ definition: TaxRateDefinition }>(`select definition from ${schema}.tax_rates where id = $1`, [id]);
  return result.rows[0]?.definition ?? null;
}

export async function findCoupon(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<CouponDefinition | null> {
  const result = await sql.query<{ definition: CouponDefinition }>(`select definition from ${schema}.coupons where id = $1`, [id]);
  return result.rows[0]?.definition ?? null;
}
