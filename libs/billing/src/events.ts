import { CouponEvent } from './catalog/coupon';
import { MeterEvent } from './catalog/meter';
import { PriceEvent } from './catalog/price';
import { TaxRateEvent } from './catalog/tax-rate';
import { CreditNoteEvent } from './credit-notes/credit-note';
import { CustomerEvent } from './customers/customer';
import { InvoiceEvent } from './invoices/invoice';
import { InvoiceNumberAssigned } from './invoices/invoice-numbers';
import { PaymentEvent } from './payments/payment';
import { SubscriptionEvent } from './subscriptions/subscription';
import { UsageRecorded } from './usage/usage';

/** Every event Accrual writes. Events are immutable; a change of shape is a new schema version. */
export type AccrualEvent =
  | CustomerEvent
  | MeterEvent
  | PriceEvent
  | CouponEvent
  | TaxRateEvent
  | SubscriptionEvent
  | UsageRecorded
  | InvoiceEvent
  | InvoiceNumberAssigned
  | PaymentEvent
  | CreditNoteEvent;

export type AccrualEventType = AccrualEvent['type'];

/** The schema version each event type is written at today (kept in the event's metadata). */
export const CURRENT_SCHEMA_VERSION: Record<AccrualEventType, number> = {
  // 2: `personal` (name, email, address sealed with the customer's key, GDPR) replaces `name`, `email`.
  CustomerCreated: 2,
  CustomerErased: 1,
  MeterDefined: 1,
  PriceCreated: 1,
  CouponCreated: 1,
  TaxRateCreated: 1,
  SubscriptionCreated: 1,
  // 2: `pendingLinesBilled`, `meteredBilled`, `usageThrough` (proration and late usage).
  SubscriptionBilled: 2,
  SubscriptionChanged: 1,
  SubscriptionCanceled: 1,
  SubscriptionPaused: 1,
  SubscriptionResumed: 1,
  UsageRecorded: 1,
  // 2: `taxRate` (the tax rate the lines were priced with); version 1 had no tax.
  InvoiceCreated: 2,
  InvoiceIssued: 1,
  InvoiceNumberAssigned: 1,
  CustomerCreditGranted: 1,
  CustomerCreditApplied: 1,
  CustomerCreditRevoked: 1,
  InvoicePaymentApplied: 1,
  InvoiceCredited: 1,
  InvoiceVoided: 1,
  InvoiceMarkedUncollectible: 1,
  PaymentReceived: 1,
  PaymentSettled: 1,
  PaymentRefunded: 1,
  CreditNoteIssued: 1,
};

/**
 * Upcasters turn an event stored at an older schema version into the current shape, one version
 * at a time, when it is read.
 * Key: `<type>@<fromVersion>`.
 */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;
export const UPCASTERS: Readonly<Record<string, Upcaster>> = {
  // Customers created before encryption kept name and email in the clear (and had no address).
  'CustomerCreated@1': ({ name, email, ...data }) => ({ ...data, personal: { clear: { name, email, address: null } } }),
  // Invoices created before tax rates existed were priced without tax.
  'InvoiceCreated@1': (data) => ({ ...data, taxRate: null }),
  // Billing runs before proration and late usage billed no pending lines and kept no aggregates.
  'SubscriptionBilled@1': (data) => ({ pendingLinesBilled: 0, meteredBilled: [], usageThrough: null, ...data }),
};

/** A stored event as the domain sees it: upcast to the current schema version. */
export function toAccrualEvent(type: string, schemaVersion: unknown, data: object): AccrualEvent {
  const version = typeof schemaVersion === 'number' ? schemaVersion : 1;
  return { type, data: upcast(type, version, data as Record<string, unknown>) } as unknown as AccrualEvent;
}

export function upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown> {
  let version = schemaVersion;
  let current = data;
  for (let upcaster = UPCASTERS[`${type}@${version}`]; upcaster; upcaster = UPCASTERS[`${type}@${version}`]) {
    current = upcaster(current);
    version += 1;
  }
  return current;
}
