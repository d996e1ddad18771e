import { Money } from '@accrual/money';
import { InvoiceState } from '../invoices/invoice';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, NotFoundError } from '../shared/errors';
import { formatInstant, Instant } from '../time/instant';
import { businessInstantField, positiveAmountField, reasonField } from '../payments/settlement-input';

/**
 * A credit note is a multi-stream process too, in this order: (1) the invoice records it
 * (`InvoiceCredited`, at the invoice's expected revision: the invoice is where "all credit notes
 * stay within the total" is decided); (2) `CreditNoteIssued` on `credit-note-<id>`, copied from
 * the invoice's record; (3) the part beyond the amount due becomes customer credit. A retry of the
 * same request re-drives whatever is missing.
 */
export interface CreditNoteIssuedData {
  id: string;
  invoiceId: string;
  customerId: string;
  currency: string;
  amount: string;
  /** The part that lowered the invoice's amount due. */
  amountApplied: string;
  /** The rest, granted to the customer as credit. */
  creditAmount: string;
  reason: string;
  issuedAt: string;
}

export type CreditNoteIssued = DomainEvent<'CreditNoteIssued', CreditNoteIssuedData>;
export type CreditNoteEvent = CreditNoteIssued;

export interface CreditNoteView extends CreditNoteIssuedData {
  status: 'issued';
}

export type CreditNoteState = { status: 'none' } | CreditNoteView;

export const creditNoteDecider = {
  initialState: (): CreditNoteState => ({ status: 'none' }),
  evolve(state: CreditNoteState, event: CreditNoteEvent): CreditNoteState {
    switch (event.type) {
      case 'CreditNoteIssued':
        return { ...event.data, status: 'issued' };
      default:
        return state;
    }
  },
};

export interface IssueCreditNote {
  id: string;
  invoiceId: string;
  amount: unknown;
  reason: unknown;
  issuedAt: unknown;
  wallClockNow: Instant;
}

/** A credit-note request whose fields passed the input checks, in the invoice's currency. */
export interface CreditNoteRequest {
  id: string;
  invoiceId: string;
  amount: Money;
  reason: string;
  issuedAt: string;
}

/** Checks the input against the invoice it names (404 when there is none: the amount needs its currency). */
export function parseCreditNoteRequest(command: IssueCreditNote, invoice: InvoiceState): CreditNoteRequest {
  if (invoice.status === 'none') throw new NotFoundError('invoice', command.invoiceId);
  const errors: FieldError[] = [];
  const amount = positiveAmountField(errors, 'amount', command.amount, invoice.currency);
  const reason = reasonField(errors, 'reason', command.reason);
  const issuedAt = businessInstantField(errors, 'issuedAt', command.issuedAt, command.wallClockNow);
  if (errors.length > 0 || amount === null || reason === null || issuedAt === null) throw new InvalidInputError(errors);
  return { id: command.id, invoiceId: command.invoiceId, amount, reason, issuedAt: formatInstant(issuedAt) };
}

export function isSameCreditNote(note: CreditNoteView, request: CreditNoteRequest): boolean {
  return (
    note.invoiceId === request.invoiceId &&
    note.currency === request.amount.currency &&
    Money.of(note.amount, note.currency).equals(request.amount) &&
    note.reason === request.reason &&
    note.issuedAt === request.issuedAt
  );
}

/** Before anything is written: the same request again is a retry; the id with another is 409. */
export function assertNewOrRetriedCreditNote(request: CreditNoteRequest, state: CreditNoteState): 'new' | 'retry' {
  if (state.status === 'none') return 'new';
  if (isSameCreditNote(state, request)) return 'retry';
  throw new ConflictError('credit-note-exists', `credit note ${request.id} already exists with other details`);
}

/**
 * Step 2: the credit note as the invoice recorded it in step 1 (how much lowered its amount due).
 * Decides nothing when it exists already.
 */
export function issueCreditNote(request: CreditNoteRequest, state: CreditNoteState, invoice: InvoiceState): CreditNoteEvent[] {
  if (assertNewOrRetriedCreditNote(request, state) === 'retry') return [];
  if (invoice.status === 'none') throw new NotFoundError('invoice', request.invoiceId);
  const record = invoice.creditNotes.find((note) => note.creditNoteId === request.id);
  // Safety: step 1 always comes first; without it nothing may be issued.
  if (!record) throw new Error(`credit note ${request.id}: invoice ${invoice.id} has not recorded it`);
  const amount = Money.of(record.amount, invoice.currency);
  const amountApplied = Money.of(record.amountApplied, invoice.currency);
  return [
    {
      type: 'CreditNoteIssued',
      data: {
        id: request.id,
        invoiceId: invoice.id,
        customerId: invoice.customerId,
        currency: invoice.currency,
        amount: amount.toString(),
        amountApplied: amountApplied.toString(),
        creditAmount: amount.minus(amountApplied).toString(),
        reason: request.reason,
        issuedAt: record.at,
      },
    },
  ];
}
