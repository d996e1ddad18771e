import { PaymentEvent, paymentDecider, PaymentState, PaymentView } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { columns, insertRows } from '../batch-rows';
import { ProjectedEvent, Projection } from '../projection';
import { foldStoredViews } from '../stored-views';

const PAYMENT_EVENT_TYPES = new Set(['PaymentReceived', 'PaymentSettled', 'PaymentRefunded'] as const);

/**
 * Payments as `GET /v1/payments/:id` returns them: the domain's own fold, stored whole. A batch is
 * folded at once (one read, one upsert); a single event is a batch of one.
 */
export const paymentsProjection: Projection = {
  name: 'payments',
  handles: PAYMENT_EVENT_TYPES,
  apply(tx, schema, projected) {
    return applyPaymentsBatch(tx, schema, [projected]);
  },
  applyBatch: applyPaymentsBatch,
};

const PAYMENT_COLUMNS = columns(
  'id text',
  'customer_id text',
  'currency text',
  'status text',
  'amount numeric',
  'amount_refunded numeric',
  'received_at timestamptz',
  'view jsonb',
  'created_position numeric',
);

async function applyPaymentsBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  const events = projected.flatMap(({ event, recorded }) => {
    if (!PAYMENT_EVENT_TYPES.has(event.type as PaymentEvent['type'])) return [];
    const paymentEvent = event as PaymentEvent;
    const id = recorded.streamId.slice('payment-'.length);
    return [{ id, position: recorded.position, evolve: (before: PaymentState) => paymentDecider.evolve(before, paymentEvent) }];
  });
  if (events.length === 0) return;
  const folded = await foldStoredViews(tx, `${schema}.payments`, paymentDecider.initialState, events);
  const rows = folded.map((row) => {
    // Written rows are never `none`; what the update leaves alone comes from the insert.
    const view = row.state as PaymentView;
    const inserted = (row.insertedState ?? row.state) as PaymentView;
    return [
      view.id,
      inserted.customerId,
      inserted.currency,
      view.status,
      inserted.amount,
      view.amountRefunded,
      inserted.receivedAt,
      JSON.stringify(view),
      row.createdPosition,
    ];
  });
  await insertRows(
    tx,
    `${schema}.payments`,
    PAYMENT_COLUMNS,
    rows,
    'on conflict (id) do update set status = excluded.status, amount_refunded = excluded.amount_refunded, view = excluded.view',
  );
}
