import { upcast } from '@accrual/billing';

/**
 * One message of a contract topic, read as the relay publishes it: a CloudEvents 1.0 JSON
 * envelope (docs/kafka.md, "The message"). Only what the journal needs is kept.
 */
export interface FinanceEvent {
  /** The event id: repeats carry the same id, and the journal drops them by it. */
  id: string;
  /** The ledger's event type without the `accrual.` prefix and version, e.g. `InvoiceIssued`. */
  eventType: string;
  /** The event's schema version, from the `type` suffix `.v<n>`. */
  schemaVersion: number;
  /** The event's data, upcast to the schema version `@accrual/billing` writes today. */
  data: Record<string, unknown>;
  /** The stream id (`subject`). */
  streamId: string;
  /** The event's position in the ledger's log, a decimal string (may exceed 2^53). */
  logPosition: string;
}

/** A message that is not a CloudEvent of the ledger: it can never be applied. */
export class MalformedEventError extends Error {}

const EVENT_TYPE = /^accrual\.([A-Za-z]+)\.v([1-9][0-9]{0,5})$/;
const DECIMAL = /^[0-9]{1,30}$/;

/** Reads a parsed message value (Nest's Kafka transport hands JSON values over parsed). */
export function parseFinanceEvent(value: unknown): FinanceEvent {
  if (typeof value === 'string') value = parseJson(value);
  if (!isObject(value)) throw new MalformedEventError('the message value is not a JSON object');
  if (value.specversion !== '1.0') throw new MalformedEventError(`specversion must be "1.0", got ${JSON.stringify(value.specversion)}`);
  const id = nonEmptyString(value.id, 'id');
  const type = nonEmptyString(value.type, 'type');
  const match = EVENT_TYPE.exec(type);
  if (!match) throw new MalformedEventError(`type must be accrual.<EventType>.v<n>, got ${JSON.stringify(type)}`);
  if (!isObject(value.data)) throw new MalformedEventError(`event ${id}: data is not a JSON object`);
  const logPosition = nonEmptyString(value.accrualposition, 'accrualposition');
  if (!DECIMAL.test(logPosition)) throw new MalformedEventError(`event ${id}: accrualposition must be a decimal string`);
  const eventType = match[1];
  const schemaVersion = Number(match[2]);
  return {
    id,
    eventType,
    schemaVersion,
    // An event published at an older schema version reads like today's (e.g. InvoiceCreated v1 had no tax rate).
    data: upcast(eventType, schemaVersion, value.data),
    streamId: nonEmptyString(value.subject, 'subject'),
    logPosition,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedEventError('the message value is not JSON');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown, attribute: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new MalformedEventError(`${attribute} must be a non-empty string`);
  return value;
}
