import { streamKindOf } from '@accrual/billing';
import { RecordedEvent } from '@accrual/event-store';

/**
 * Where each event goes on Kafka (CONTRACT §7): one topic per aggregate, keyed by customer id so
 * that one customer's events keep their log order on one partition. Catalog events (prices,
 * meters, coupons, tax rates) belong to no customer and are keyed by their own stream id.
 */
export const CONTRACT_TOPICS = {
  customers: 'accrual.customers.v1',
  subscriptions: 'accrual.subscriptions.v1',
  invoices: 'accrual.invoices.v1',
  payments: 'accrual.payments.v1',
  usage: 'accrual.usage.v1',
  catalog: 'accrual.catalog.v1',
} as const;

export type ContractTopic = (typeof CONTRACT_TOPICS)[keyof typeof CONTRACT_TOPICS];

/** Stream kind (the `<kind>` of `<kind>-<id>`, see `streamKindOf`) to topic. */
export const TOPIC_BY_STREAM_KIND: Readonly<Record<string, ContractTopic>> = {
  customer: CONTRACT_TOPICS.customers,
  subscription: CONTRACT_TOPICS.subscriptions,
  invoice: CONTRACT_TOPICS.invoices,
  'credit-note': CONTRACT_TOPICS.invoices,
  // `sequence-invoice-numbers`: InvoiceNumberAssigned belongs with the invoice it numbers.
  sequence: CONTRACT_TOPICS.invoices,
  payment: CONTRACT_TOPICS.payments,
  usage: CONTRACT_TOPICS.usage,
  price: CONTRACT_TOPICS.catalog,
  meter: CONTRACT_TOPICS.catalog,
  coupon: CONTRACT_TOPICS.catalog,
  'tax-rate': CONTRACT_TOPICS.catalog,
};

const CATALOG_STREAM_KINDS: ReadonlySet<string> = new Set(['price', 'meter', 'coupon', 'tax-rate']);

/**
 * A stream kind the relay has no topic for. Publishing it somewhere arbitrary (or dropping it)
 * would break the contract silently; the relay stops at it instead and says so, until the
 * mapping above is extended.
 */
export class UnknownStreamKindError extends Error {
  constructor(readonly streamId: string) {
    super(`no Kafka topic for stream "${streamId}" (kind "${streamKindOf(streamId)}"): extend TOPIC_BY_STREAM_KIND`);
  }
}

export function topicFor(streamId: string): ContractTopic {
  const topic = TOPIC_BY_STREAM_KIND[streamKindOf(streamId)];
  if (topic === undefined) throw new UnknownStreamKindError(streamId);
  return topic;
}

/**
 * The message key: the customer id for everything a customer owns, the stream id for catalog
 * events. Where an event names its customer (`data.customerId`) that wins; customer streams
 * and usage streams carry the customer id in their name. An event of a customer-owned kind that
 * names no customer falls back to its stream id, which still keeps that stream's order.
 */
export function keyFor(event: Pick<RecordedEvent, 'streamId' | 'data'>): string {
  const kind = streamKindOf(event.streamId);
  if (CATALOG_STREAM_KINDS.has(kind)) return event.streamId;
  const customerId = nonEmptyString(event.data.customerId);
  if (customerId !== undefined) return customerId;
  if (kind === 'customer') return nonEmptyString(event.data.id) ?? event.streamId.slice('customer-'.length);
  if (kind === 'usage') return event.streamId.slice('usage-'.length);
  return event.streamId;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
