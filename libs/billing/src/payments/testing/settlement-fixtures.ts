import { CustomerCreated, customerDecider, CustomerEvent, CustomerState } from '../../customers/customer';
import { createDraftInvoice, invoiceDecider, InvoiceEvent, InvoiceView, issueInvoice } from '../../invoices/invoice';
import { fold } from '../../shared/decider';
import { at } from '../../testing/fixtures';

/**
 * Invoices and customers for the settlement tests, made by the deciders themselves (draft, then
 * issue), so the fixtures follow the invoice's shape as it evolves. Test-only.
 */
export const NOW = at('2026-06-01T00:00:00Z');

export const customerCreated: CustomerCreated = {
  type: 'CustomerCreated',
  data: {
    id: 'cus_1',
    personal: { clear: { name: 'Ada', email: 'ada@example.com', address: null } },
    currency: 'USD',
    country: 'GB',
    region: null,
    taxExempt: true,
    paymentTermsDays: 30,
    locale: 'en',
  },
};

export function customerOf(events: readonly CustomerEvent[] = []): Extract<CustomerState, { status: 'active' }> {
  const state = fold(customerDecider, [customerCreated, ...events]);
  if (state.status === 'none') throw new Error('no customer');
  return state;
}

export interface InvoiceFixture {
  id?: string;
  total: string;
  customerId?: string;
  currency?: string;
  issuedAt?: string;
  number?: string;
  paymentTermsDays?: number;
  creditApplied?: string;
}

export function draftInvoiceEvents(fixture: InvoiceFixture): InvoiceEvent[] {
  const id = fixture.id ?? 'inv_1';
  return createDraftInvoice(
    {
      id,
      customerId: fixture.customerId ?? 'cus_1',
      customerCurrency: fixture.currency ?? 'USD',
      lines: [{ description: 'Service', unitAmount: fixture.total }],
    },
    invoiceDecider.initialState(),
  );
}

/** The events of an issued (open, or paid when nothing is due) invoice. */
export function issuedInvoiceEvents(fixture: InvoiceFixture): InvoiceEvent[] {
  const created = draftInvoiceEvents(fixture);
  const issued = issueInvoice(
    {
      id: fixture.id ?? 'inv_1',
      issuedAt: at(fixture.issuedAt ?? '2026-03-01T00:00:00Z'),
      number: fixture.number ?? 'INV-000001',
      paymentTermsDays: fixture.paymentTermsDays ?? 30,
      creditApplied: fixture.creditApplied,
    },
    fold(invoiceDecider, created),
  );
  return [...created, ...issued];
}

export function invoiceOf(events: readonly InvoiceEvent[]): InvoiceView {
  const state = fold(invoiceDecider, events);
  if (state.status === 'none') throw new Error('no invoice');
  return state;
}
