import { AccrualEvent } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { Projection } from '../projection';

type ReceivableEvent = Extract<
  AccrualEvent,
  { type: 'InvoiceCreated' | 'InvoiceIssued' | 'InvoicePaymentApplied' | 'InvoiceCredited' | 'InvoiceVoided' | 'InvoiceMarkedUncollectible' }
>;

const RECEIVABLE_EVENT_TYPES = new Set<ReceivableEvent['type']>([
  'InvoiceCreated',
  'InvoiceIssued',
  'InvoicePaymentApplied',
  'InvoiceCredited',
  'InvoiceVoided',
  'InvoiceMarkedUncollectible',
]);

/** SQL: the UTC day of an instant parameter, never before the invoice's issue day. */
const effectiveDay = (parameter: string) => `greatest((${parameter}::timestamptz at time zone 'UTC')::date, issued_on)`;

/**
 * SQL: the first day the invoice stops counting: voided or written off, or settled in full (the
 * day of its last settlement, since every settlement lowers what is owed).
 */
const OPEN_UNTIL = `coalesce(least(voided_on, written_off_on, case when settled >= owed_at_issue then last_settled_on end), 'infinity'::date)`;

/** Receivables per invoice, effective-dated, for AR aging as of any day and DSO. */
export const receivablesProjection: Projection = {
  name: 'receivables',
  handles: RECEIVABLE_EVENT_TYPES,
  async apply(tx, schema, { event, recorded }) {
    if (!RECEIVABLE_EVENT_TYPES.has(event.type as ReceivableEvent['type'])) return;
    await applyReceivableEvent(tx, schema, event as ReceivableEvent, recorded.position.toString());
  },
};

async function applyReceivableEvent(tx: SqlExecutor, schema: string, event: ReceivableEvent, position: string): Promise<void> {
  const invoices = `${schema}.receivable_invoices`;
  switch (event.type) {
    case 'InvoiceCreated': {
      const { id, customerId, currency, total } = event.data;
      await tx.query(
        `insert into ${invoices} (invoice_id, customer_id, currency, total) values ($1, $2, $3, $4) on conflict (invoice_id) do nothing`,
        [id, customerId, currency, total],
      );
      return;
    }
    case 'InvoiceIssued': {
      // Customer credit applied at issue is paid at issue: the invoice starts owing its amount due.
      const { id, issuedAt, dueDate, amountDue } = event.data;
      await tx.query(
        `update ${invoices} set issued_on = ($2::timestamptz at time zone 'UTC')::date, due_on = $3::date, owed_at_issue = $4::numeric,
           last_settled_on = ($2::timestamptz at time zone 'UTC')::date
         where invoice_id = $1`,
        [id, issuedAt, dueDate, amountDue],
      );
      break;
    }
    case 'InvoicePaymentApplied':
      await settle(tx, schema, event.data.invoiceId, 'payment', event.data.paymentId, event.data.at, event.data.amount, position);
      break;
    case 'InvoiceCredited':
      await settle(tx, schema, event.data.invoiceId, 'credit_note', event.data.creditNoteId, event.data.at, event.data.amount, position);
      break;
    case 'InvoiceVoided':
      await tx.query(`update ${invoices} set voided_on = ${effectiveDay('$2')} where invoice_id = $1`, [event.data.invoiceId, event.data.at]);
      break;
    case 'InvoiceMarkedUncollectible':
      await tx.query(`update ${invoices} set written_off_on = ${effectiveDay('$2')} where invoice_id = $1`, [
        event.data.invoiceId,
        event.data.at,
      ]);
      break;
  }
  const invoiceId = event.type === 'InvoiceIssued' ? event.data.id : event.data.invoiceId;
  await tx.query(`update ${invoices} set open_until = ${OPEN_UNTIL} where invoice_id = $1`, [invoiceId]);
}

/** One payment or credit note on the invoice, effective on its day (at the earliest the issue day). */
async function settle(
  tx: SqlExecutor,
  schema: string,
  invoiceId: string,
  kind: 'payment' | 'credit_note',
  sourceId: string,
  at: string,
  amount: string,
  position: string,
): Promise<void> {
  // A credit note on a paid invoice lowers nothing (amount zero): it changes no receivable.
  await tx.query(
    `with inserted as (
       insert into ${schema}.receivable_settlements (invoice_id, kind, source_id, effective_on, amount, position)
       select invoice_id, $2, $3, ${effectiveDay('$4')}, $5::numeric, $6::numeric
       from ${schema}.receivable_invoices where invoice_id = $1 and issued_on is not null and $5::numeric <> 0
       on conflict (invoice_id, kind, source_id) do nothing
       returning effective_on, amount
     )
     update ${schema}.receivable_invoices i
     set settled = i.settled + inserted.amount, last_settled_on = greatest(i.last_settled_on, inserted.effective_on)
     from inserted where i.invoice_id = $1`,
    [invoiceId, kind, sourceId, at, amount, position],
  );
}
