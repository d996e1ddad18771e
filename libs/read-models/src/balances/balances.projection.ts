import { Projection } from '../projection';

/** Customer credit per customer and currency: grants add, applications and revocations take away. */
export const balancesProjection: Projection = {
  name: 'balances',
  handles: new Set(['CustomerCreditGranted', 'CustomerCreditApplied', 'CustomerCreditRevoked']),
  async apply(tx, schema, { event }) {
    if (event.type !== 'CustomerCreditGranted' && event.type !== 'CustomerCreditApplied' && event.type !== 'CustomerCreditRevoked') return;
    const sign = event.type === 'CustomerCreditGranted' ? '' : '-';
    await tx.query(
      `insert into ${schema}.customer_credit_balances (customer_id, currency, balance) values ($1, $2, ($3::numeric * ${sign}1))
       on conflict (customer_id, currency) do update set balance = ${schema}.customer_credit_balances.balance + excluded.balance`,
      [event.data.customerId, event.data.currency, event.data.amount],
    );
  },
};
