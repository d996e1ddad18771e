import { MAX_USAGE_BATCH } from '@accrual/billing';
import { findCardData } from '@accrual/platform';

/** Usage coming in (CONTRACT §7): each message's value is the body of `POST /v1/usage`. */
export const USAGE_INGEST_TOPIC = 'accrual.usage-ingest.v1';
/** Where a message that can never be accepted goes, with the reason in its headers. */
export const USAGE_INGEST_DLQ_TOPIC = 'accrual.usage-ingest.dlq.v1';

/** Headers the dead-letter copy carries besides the original message's own. */
export const DLQ_HEADERS = {
  errorType: 'accrual-error-type',
  errorDetail: 'accrual-error-detail',
  originalTopic: 'accrual-original-topic',
  originalPartition: 'accrual-original-partition',
  originalOffset: 'accrual-original-offset',
  originalTimestamp: 'accrual-original-timestamp',
  consumerGroup: 'accrual-consumer-group',
} as const;

/**
 * Error types of messages refused before RecordUsage sees them. RecordUsage's own refusals keep
 * their problem `type` (`invalid-input`, `customer-not-found`, `unknown-meter`…, docs/api.md).
 */
export const MESSAGE_ERROR_TYPES = {
  emptyValue: 'empty-message',
  invalidJson: 'invalid-json',
  /** Same rule and type as the API's (docs/compliance.md): no card data is accepted anywhere. */
  cardData: 'card-data-refused',
} as const;

/** A detail longer than this is cut: it travels in a header, not a document. */
const MAX_DETAIL_LENGTH = 1000;

/** The part of a kafkajs message the ingest reads. */
export interface IngestMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** Why a message goes to the dead-letter topic. */
export interface Refusal {
  type: string;
  detail: string;
  /** The value must not be copied to the dead-letter topic (it holds card data). */
  withholdValue?: boolean;
}

/** A message read as a usage body, or refused as unreadable. */
export type DecodedMessage = { ok: true; body: unknown } | { ok: false; refusal: Refusal };

/**
 * The JSON body of a message. Only emptiness and JSON syntax are checked here; what the body
 * says is RecordUsage's to judge, with the same rules as over HTTP.
 */
export function decodeMessage(value: Buffer | null): DecodedMessage {
  if (value === null || value.length === 0) {
    return { ok: false, refusal: { type: MESSAGE_ERROR_TYPES.emptyValue, detail: 'the message has no value' } };
  }
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, refusal: { type: MESSAGE_ERROR_TYPES.invalidJson, detail: `not JSON: ${(error as Error).message}` } };
  }
  const cardFields = findCardData(body);
  if (cardFields.length > 0) {
    const detail = `card data is not accepted; found in ${cardFields.join(', ')} (the message value is withheld)`;
    return { ok: false, refusal: { type: MESSAGE_ERROR_TYPES.cardData, detail, withholdValue: true } };
  }
  return { ok: true, body };
}

/**
 * Consecutive slices of at most `MAX_USAGE_BATCH` messages: one RecordUsage call each, the
 * offsets committed after each slice, in order.
 */
export function slicesOf<T>(items: readonly T[], size: number = MAX_USAGE_BATCH): T[][] {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}

/** The dead-letter copy: the original key, value and headers, and why and where from. */
export function deadLetterOf(
  message: IngestMessage,
  refusal: Refusal,
  origin: { topic: string; partition: number; groupId: string },
): { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | string | (Buffer | string)[]> } {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  headers[DLQ_HEADERS.errorType] = refusal.type;
  headers[DLQ_HEADERS.errorDetail] = refusal.detail.length > MAX_DETAIL_LENGTH ? `${refusal.detail.slice(0, MAX_DETAIL_LENGTH - 1)}…` : refusal.detail;
  headers[DLQ_HEADERS.originalTopic] = origin.topic;
  headers[DLQ_HEADERS.originalPartition] = String(origin.partition);
  headers[DLQ_HEADERS.originalOffset] = message.offset;
  headers[DLQ_HEADERS.originalTimestamp] = message.timestamp;
  headers[DLQ_HEADERS.consumerGroup] = origin.groupId;
  return { key: message.key, value: refusal.withholdValue ? null : message.value, headers };
}

/** The offset to commit once `offset` is done: the next one to read (Kafka's convention). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
