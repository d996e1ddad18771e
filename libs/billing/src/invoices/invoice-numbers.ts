import { DomainEvent } from '../shared/decider';

/**
 * The one gapless invoice-number sequence is a stream of its own. Each event assigns the next
 * number to one invoice, so the n-th event (revision n - 1) carries number n: appending at an
 * expected revision makes allocation safe under concurrent issuing, and a number is never
 * assigned without its invoice being issued with it (see docs/billing.md, "Invoice numbers").
 */
export interface InvoiceNumberAssignedData {
  invoiceId: string;
  customerId: string;
  sequence: number;
  number: string;
  issuedAt: string;
}

export type InvoiceNumberAssigned = DomainEvent<'InvoiceNumberAssigned', InvoiceNumberAssignedData>;

export const INVOICE_NUMBER_PREFIX = 'INV-';
export const INVOICE_NUMBER_DIGITS = 6;

export function formatInvoiceNumber(sequence: number): string {
  return `${INVOICE_NUMBER_PREFIX}${String(sequence).padStart(INVOICE_NUMBER_DIGITS, '0')}`;
}

/** The assignment that follows a sequence whose last revision is `lastRevision` (-1: empty). */
export function assignNextNumber(
  lastRevision: number,
  invoice: { id: string; customerId: string },
  issuedAt: string,
): InvoiceNumberAssigned {
  const sequence = lastRevision + 2;
  return {
    type: 'InvoiceNumberAssigned',
    data: { invoiceId: invoice.id, customerId: invoice.customerId, sequence, number: formatInvoiceNumber(sequence), issuedAt },
  };
}
