import { creditNoteDecider } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { columns, insertRows } from '../batch-rows';
import { ProjectedEvent, Projection } from '../projection';

/** Credit notes as `GET /v1/credit-notes/:id` returns them: one insert per batch; a single event is a batch of one. */
export const creditNotesProjection: Projection = {
  name: 'credit-notes',
  handles: new Set(['CreditNoteIssued']),
  apply(tx, schema, projected) {
    return applyCreditNotesBatch(tx, schema, [projected]);
  },
  applyBatch: applyCreditNotesBatch,
};

const CREDIT_NOTE_COLUMNS = columns(
  'id text',
  'invoice_id text',
  'customer_id text',
  'currency text',
  'amount numeric',
  'issued_at timestamptz',
  'view jsonb',
  'created_position numeric',
);

async function applyCreditNotesBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  // The first note of an id wins, as one insert after another with `on conflict do nothing`.
  const rows = new Map<string, string[]>();
  for (const { event, recorded } of projected) {
    if (event.type !== 'CreditNoteIssued') continue;
    const note = creditNoteDecider.evolve(creditNoteDecider.initialState(), event);
    if (note.status === 'none' || rows.has(note.id)) continue;
    rows.set(note.id, [note.id, note.invoiceId, note.customerId, note.currency, note.amount, note.issuedAt, JSON.stringify(note), recorded.position.toString()]);
  }
  await insertRows(tx, `${schema}.credit_notes`, CREDIT_NOTE_COLUMNS, [...rows.values()], 'on conflict (id) do nothing');
}
