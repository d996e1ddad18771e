import { SqlExecutor } from '@accrual/database';
import { ProjectedEvent, Projection } from '../projection';

const CREDIT_EVENT_TYPES = new Set(['CustomerCreditGranted', 'CustomerCreditApplied', 'CustomerCreditRevoked'] as const);

/**
 * Customer credit per customer and currency: grants add, applications and revocations take away.
 * A batch adds its movements per customer and currency in one statement (numeric sums are exact,
 * so the balance is what adding them one by one gives); a single event is a batch of one.
 */
export const balancesProjection: Projection = {
  name: 'balances',
  handles: CREDIT_EVENT_TYPES,
  apply(tx, schema, projected) {
    return applyBalancesBatch(tx, schema, [projected]);
  },
  applyBatch: applyBalancesBatch,
};

async function applyBalancesBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  const customerIds: string[] = [];
  const currencies: string[] = [];
  const amounts: string[] = [];
  const signs: string[] = [];
  for (const { event } of projected) {
    if (event.type !== 'CustomerCreditGranted' && event.type !== 'CustomerCreditApplied' && event.type !== 'CustomerCreditRevoked') continue;
    customerIds.push(event.data.customerId);
    currencies.push(event.data.currency);
    amounts.push(event.data.amount);
    signs.push(event.type === 'CustomerCreditGranted' ? '1' : '-1');
  }
  if (customerIds.length === 0) return;
  await tx.query(
    `insert into ${schema}.customer_credit_balances (customer_id, currency, balance)
     select v.customer_id, v.currency, sum(v.amount::numeric * v.sign::integer)
     from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as v(customer_id, currency, amount, sign)
     group by v.customer_id, v.currency
     on conflict (customer_id, currency) do update set balance = ${schema}.customer_credit_balances.balance + excluded.balance`,
    [customerIds, currencies, amounts, signs],
  );
}
