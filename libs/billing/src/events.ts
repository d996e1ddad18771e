import { MeterEvent } from './catalog/meter';
import { PriceEvent } from './catalog/price';
import { CustomerEvent } from './customers/customer';
import { InvoiceEvent } from './invoices/invoice';
import { InvoiceNumberAssigned } from './invoices/invoice-numbers';
import { SubscriptionEvent } from './subscriptions/subscription';
import { UsageRecorded } from './usage/usage';

/** Every event Accrual writes. Events are immutable; a change of shape is a new schema version. */
export type AccrualEvent =
  | CustomerEvent
  | MeterEvent
  | PriceEvent
  | SubscriptionEvent
  | UsageRecorded
  | InvoiceEvent
  | InvoiceNumberAssigned;

export type AccrualEventType = AccrualEvent['type'];

/** The schema version each event type is written at today (kept in the event's metadata). */
export const CURRENT_SCHEMA_VERSION: Record<AccrualEventType, number> = {
  CustomerCreated: 1,
  MeterDefined: 1,
  PriceCreated: 1,
  SubscriptionCreated: 1,
  SubscriptionBilled: 1,
  UsageRecorded: 1,
  InvoiceCreated: 1,
  InvoiceIssued: 1,
  InvoiceNumberAssigned: 1,
};

/**
 * Upcasters turn an event stored at an older schema version into the current shape, one version
 * at a time, when it is read. None exist yet: every type is at version 1.
 * Key: `<type>@<fromVersion>`.
 */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;
export const UPCASTERS: Readonly<Record<string, Upcaster>> = {};

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
