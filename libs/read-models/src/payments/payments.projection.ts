import { PaymentEvent, paymentDecider, PaymentState, PaymentView } from '@accrual/billing';
import { Projection } from '../projection';

const PAYMENT_EVENT_TYPES = new Set(['PaymentReceived', 'PaymentSettled', 'PaymentRefunded'] as const);

/** Payments as `GET /v1/payments/:id` returns them: the domain's own fold, stored whole. */
export const paymentsProjection: Projection = {
  name: 'payments',
  handles: PAYMENT_EVENT_TYPES,
  async apply(tx, schema, { event, recorded }) {
    if (!PAYMENT_EVENT_TYPES.has(event.type as PaymentEvent['type'])) return;
    const id = recorded.streamId.slice('payment-'.length);
    const current = await tx.query<{ view: PaymentView }>(`select view from ${schema}.payments where id = $1`, [id]);
    const before: PaymentState = current.rows[0]?.view ?? paymentDecider.initialState();
    const after = paymentDecider.evolve(before, event as PaymentEvent);
    if (after.status === 'none') return;
    await tx.query(
      `insert into ${schema}.payments
         (id, customer_id, currency, status, amount, amount_refunded, received_at, view, created_position)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (id) do update set status = excluded.status, amount_refunded = excluded.amount_refunded, view = excluded.view`,
      [
        after.id,
        after.customerId,
        after.currency,
        after.status,
        after.amount,
        after.amountRefunded,
        after.receivedAt,
        JSON.stringify(after),
        recorded.position.toString(),
      ],
    );
  },
};
