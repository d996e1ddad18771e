import { invoiceDecider, InvoiceEvent, InvoiceState, InvoiceView } from '@accrual/billing';
import { Projection } from '../projection';

const INVOICE_EVENT_TYPES = new Set<InvoiceEvent['type']>([
  'InvoiceCreated',
  'InvoiceIssued',
  'InvoicePaymentApplied',
  'InvoiceCredited',
  'InvoiceVoided',
  'InvoiceMarkedUncollectible',
]);

/** Invoices as the contract's query returns them: the domain's own fold, stored whole. */
export const invoicesProjection: Projection = {
  name: 'invoices',
  handles: INVOICE_EVENT_TYPES,
  async apply(tx, schema, { event, recorded }) {
    if (!INVOICE_EVENT_TYPES.has(event.type as InvoiceEvent['type'])) return;
    // Settlement events (payments, credit notes, void, uncollectible) name the invoice `invoiceId`.
    const invoiceId = 'invoiceId' in event.data ? event.data.invoiceId : (event.data as { id: string }).id;
    const current = await tx.query<{ view: InvoiceView }>(`select view from ${schema}.invoices where id = $1`, [invoiceId]);
    const before: InvoiceState = current.rows[0]?.view ?? invoiceDecider.initialState();
    const after = invoiceDecider.evolve(before, event as InvoiceEvent);
    if (after.status === 'none') return;
    await tx.query(
      `insert into ${schema}.invoices
         (id, customer_id, status, currency, number, issued_at, due_date, total, amount_due, view, created_position)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       on conflict (id) do update set status = excluded.status, number = excluded.number, issued_at = excluded.issued_at,
         due_date = excluded.due_date, total = excluded.total, amount_due = excluded.amount_due, view = excluded.view`,
      [
        after.id,
        after.customerId,
        after.status,
        after.currency,
        after.number,
        after.issuedAt,
        after.dueDate,
        after.total,
        after.amountDue,
        JSON.stringify(after),
        recorded.position.toString(),
      ],
    );
  },
};
