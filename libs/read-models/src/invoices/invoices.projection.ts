import { invoiceDecider, InvoiceEvent, InvoiceState, InvoiceView } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { columns, insertRows } from '../batch-rows';
import { ProjectedEvent, Projection } from '../projection';
import { foldStoredViews } from '../stored-views';

const INVOICE_EVENT_TYPES = new Set<InvoiceEvent['type']>([
  'InvoiceCreated',
  'InvoiceIssued',
  'InvoicePaymentApplied',
  'InvoiceCredited',
  'InvoiceVoided',
  'InvoiceMarkedUncollectible',
]);

/**
 * Invoices as the contract's query returns them: the domain's own fold, stored whole. A batch is
 * folded at once (one read, one upsert); a single event is a batch of one.
 */
export const invoicesProjection: Projection = {
  name: 'invoices',
  handles: INVOICE_EVENT_TYPES,
  apply(tx, schema, projected) {
    return applyInvoicesBatch(tx, schema, [projected]);
  },
  applyBatch: applyInvoicesBatch,
};

const INVOICE_COLUMNS = columns(
  'id text',
  'customer_id text',
  'status text',
  'currency text',
  'number text',
  'issued_at timestamptz',
  'due_date date',
  'total numeric',
  'amount_due numeric',
  'view jsonb',
  'created_position numeric',
);

async function applyInvoicesBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  const events = projected.flatMap(({ event, recorded }) => {
    if (!INVOICE_EVENT_TYPES.has(event.type as InvoiceEvent['type'])) return [];
    const invoiceEvent = event as InvoiceEvent;
    // Settlement events (payments, credit notes, void, uncollectible) name the invoice `invoiceId`.
    const id = 'invoiceId' in invoiceEvent.data ? invoiceEvent.data.invoiceId : (invoiceEvent.data as { id: string }).id;
    return [{ id, position: recorded.position, evolve: (before: InvoiceState) => invoiceDecider.evolve(before, invoiceEvent) }];
  });
  if (events.length === 0) return;
  const folded = await foldStoredViews(tx, `${schema}.invoices`, invoiceDecider.initialState, events);
  const rows = folded.map((row) => {
    // Written rows are never `none`; customer and currency are written once, by the insert.
    const view = row.state as InvoiceView;
    const inserted = (row.insertedState ?? row.state) as InvoiceView;
    return [
      view.id,
      inserted.customerId,
      view.status,
      inserted.currency,
      view.number,
      view.issuedAt,
      view.dueDate,
      view.total,
      view.amountDue,
      JSON.stringify(view),
      row.createdPosition,
    ];
  });
  await insertRows(
    tx,
    `${schema}.invoices`,
    INVOICE_COLUMNS,
    rows,
    `on conflict (id) do update set status = excluded.status, number = excluded.number, issued_at = excluded.issued_at,
       due_date = excluded.due_date, total = excluded.total, amount_due = excluded.amount_due, view = excluded.view`,
  );
}
