import { SqlExecutor } from '@accrual/database';
import { Money } from '@accrual/money';
import { LIVE_SCHEMA } from '../schema';
import { OPEN_DAYS } from './receivables.schema';
import { AgedAmount, AgingBucket, agingBucketSql, AgingReport, assembleAgingReport, daysSalesOutstanding } from './aging';

/**
 * AR aging as of the UTC day `asOf` (YYYY-MM-DD) in one currency: invoices issued on or before it
 * and still open on it, each owing what it owed at issue less the settlements effective on or
 * before it, bucketed by days past due. The database sums; at most 5 rows per customer come back.
 * An invoice whose settlements all took effect by D owes `owed_at_issue − settled`, no lookup.
 */
export async function queryArAging(sql: SqlExecutor, asOf: string, currency: string, schema = LIVE_SCHEMA): Promise<AgingReport> {
  const result = await sql.query<{ customer_id: string; bucket: AgingBucket; owed: string }>(
    `with open_invoices as (
       select i.customer_id, i.due_on,
              i.owed_at_issue - case when i.last_settled_on <= $2::date then i.settled
                else coalesce((select sum(s.amount) from ${schema}.receivable_settlements s
                               where s.invoice_id = i.invoice_id and s.effective_on <= $2::date), 0) end as owed
       from ${schema}.receivable_invoices i
       where i.issued_on is not null and ${OPEN_DAYS} @> $2::date and i.currency = $1
     )
     select customer_id, ${agingBucketSql('($2::date - due_on)')} as bucket, sum(owed)::text as owed
     from open_invoices where owed <> 0
     group by 1, 2`,
    [currency, asOf],
  );
  const amounts: AgedAmount[] = result.rows.map((row) => ({ customerId: row.customer_id, bucket: row.bucket, owed: row.owed }));
  return assembleAgingReport(asOf, currency, amounts);
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
    `select coalesce(sum(total), 0)::text as credit_sales from ${schema}.receivable_invoices
     where currency = $1 and issued_on between $2::date and $3::date and (voided_on is null or voided_on > $3::date)`,
    [currency, from, to],
  );
  const creditSales = Money.of(sales.rows[0]?.credit_sales ?? '0', currency);
  const ending = Money.of((await queryArAging(sql, to, currency, schema)).totals.total, currency);
  return {
    from,
    to,
    days,
    creditSales: creditSales.toString(),
    endingReceivables: ending.toString(),
    dso: daysSalesOutstanding(ending, creditSales, days),
  };
}
