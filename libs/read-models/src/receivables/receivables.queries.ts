import { SqlExecutor } from '@accrual/database';
import { minorUnitDigits, Money } from '@accrual/money';
import { LIVE_SCHEMA } from '../schema';
import { agingBlockStart } from './receivables.schema';
import { AGING_BUCKETS, AgingBucket, AgingReport, assembleAgingReport, CustomerBuckets, daysSalesOutstanding, parseMinorUnits } from './aging';

const BUCKET_COLUMNS = AGING_BUCKETS.map(({ key }) => key);

/**
 * SQL: the aging rows of currency `$1` holding the UTC day `$2` (one per customer owing on it),
 * from `receivable_agings`: the dated rows starting in `$2`'s grid block, and the open-ended rows
 * started by `$2`. Two index ranges, never the whole history.
 */
function agingRowsOn(schema: string): string {
  const columns = `customer_id, ${BUCKET_COLUMNS.join(', ')}`;
  return `select ${columns} from ${schema}.receivable_agings
          where currency = $1 and valid_until <> 'infinity'
            and valid_from between ${agingBlockStart('$2::date')} and $2::date and valid_until > $2::date
          union all
          select ${columns} from ${schema}.receivable_agings
          where currency = $1 and valid_until = 'infinity' and valid_from <= $2::date`;
}

/**
 * AR aging as of the UTC day `asOf` (YYYY-MM-DD) in one currency: invoices issued on or before it
 * and still open on it, each owing what it owed at issue less the settlements effective on or
 * before it, bucketed by days past due. Reads the row per customer the projection keeps for that
 * day (`receivable_agings`), summed in integer minor units (exact: the books hold amounts in the
 * currency's digits).
 */
export async function queryArAging(sql: SqlExecutor, asOf: string, currency: string, schema = LIVE_SCHEMA): Promise<AgingReport> {
  const result = await sql.query<{ customer_id: string } & Record<AgingBucket, string>>(
    `select customer_id, ${BUCKET_COLUMNS.map((key) => `${key}::text`).join(', ')} from (${agingRowsOn(schema)}) owing`,
    [currency, asOf],
  );
  const digits = minorUnitDigits(currency);
  const minor = (text: string) => parseMinorUnits(text, digits);
  const rows: CustomerBuckets[] = result.rows.map((row) => ({
    customerId: row.customer_id,
    owed: { current: minor(row.current), d1_30: minor(row.d1_30), d31_60: minor(row.d31_60), d61_90: minor(row.d61_90), d90_plus: minor(row.d90_plus) },
  }));
  return assembleAgingReport(asOf, currency, rows);
}

/** The AR aging total as of `asOf` (what DSO divides), without the per-customer rows. */
async function receivablesOn(sql: SqlExecutor, asOf: string, currency: string, schema: string): Promise<Money> {
  const result = await sql.query<{ owed: string }>(
    `select coalesce(sum(${BUCKET_COLUMNS.join(' + ')}), 0)::text as owed from (${agingRowsOn(schema)}) owing`,
    [currency, asOf],
  );
  return Money.of(result.rows[0]?.owed ?? '0', currency);
}

export interface DsoReport {
  from: string;
  to: string;
  days: number;
  creditSales: string;
  endingReceivables: string;
  dso: string | null;
}

/**
 * DSO for the UTC days [from, to] (`days` = to − from + 1, the caller's count): receivables owed
 * at the end of `to` (the AR aging total as of `to`) over the totals of invoices issued in
 * [from, to] and not voided by `to` (a void invoice was never a sale), times `days`.
 */
export async function queryDso(sql: SqlExecutor, from: string, to: string, days: number, currency: string, schema = LIVE_SCHEMA): Promise<DsoReport> {
  const sales = await sql.query<{ credit_sales: string }>(
    `select coalesce(sum(total), 0)::text as credit_sales from ${schema}.receivable_sales
     where currency = $1 and issued_on between $2::date and $3::date and voided_on > $3::date`,
    [currency, from, to],
  );
  const creditSales = Money.of(sales.rows[0]?.credit_sales ?? '0', currency);
  const ending = await receivablesOn(sql, to, currency, schema);
  return {
    from,
    to,
    days,
    creditSales: creditSales.toString(),
    endingReceivables: ending.toString(),
    dso: daysSalesOutstanding(ending, creditSales, days),
  };
}
