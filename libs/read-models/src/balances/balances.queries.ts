import { roundToMinorUnit, StrictBig } from '@accrual/money';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';

/**
 * What a customer owes and holds, per currency: `amountDue` sums the open invoices' amounts due,
 * `amountUncollectible` the written-off ones', `credit` is the customer credit balance.
 */
export interface CustomerBalance {
  currency: string;
  amountDue: string;
  amountUncollectible: string;
  credit: string;
}

export async function findCustomerBalances(sql: SqlExecutor, customerId: string, schema = LIVE_SCHEMA): Promise<CustomerBalance[]> {
  const result = await sql.query<{ currency: string; amount_due: string; amount_uncollectible: string; credit: string }>(
    `with receivables as (
       select currency,
              sum(amount_due) filter (where status = 'open') as amount_due,
              sum(amount_due) filter (where status = 'uncollectible') as amount_uncollectible
       from ${schema}.invoices
       where customer_id = $1 and status in ('open', 'uncollectible')
       group by currency
     )
     select coalesce(r.currency, c.currency) as currency,
            coalesce(r.amount_due, 0)::text as amount_due,
            coalesce(r.amount_uncollectible, 0)::text as amount_uncollectible,
            coalesce(c.balance, 0)::text as credit
     from receivables r
     full join (select currency, balance from ${schema}.customer_credit_balances where customer_id = $1) c on c.currency = r.currency
     order by 1`,
    [customerId],
  );
  const money = (text: string, currency: string) => roundToMinorUnit(new StrictBig(text), currency, 'half_up').toString();
  return result.rows.map((row) => ({
    currency: row.currency,
    amountDue: money(row.amount_due, row.currency),
    amountUncollectible: money(row.amount_uncollectible, row.currency),
    credit: money(row.credit, row.currency),
  }));
}
