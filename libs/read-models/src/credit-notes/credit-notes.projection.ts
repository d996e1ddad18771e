import { creditNoteDecider } from '@accrual/billing';
import { Projection } from '../projection';

/** Credit notes as `GET /v1/credit-notes/:id` returns them. */
export const creditNotesProjection: Projection = {
  name: 'credit-notes',
  handles: new Set(['CreditNoteIssued']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type !== 'CreditNoteIssued') return;
    const note = creditNoteDecider.evolve(creditNoteDecider.initialState(), event);
    if (note.status === 'none') return;
    await tx.query(
      `insert into ${schema}.credit_notes (id, invoice_id, customer_id, currency, amount, issued_at, view, created_position)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing`,
      [note.id, note.invoiceId, note.customerId, note.currency, note.amount, note.issuedAt, JSON.stringify(note), recorded.position.toString()],
    );
  },
};
