import { DomainEvent } from '../shared/decider';
import { FieldError, InvalidInputError } from '../shared/errors';
import { ID_PATTERN } from '../shared/ids';
import { assertNotInFuture, formatInstant, Instant, parseInstant } from '../time/instant';
import { parseQuantityField } from './quantity';

export interface UsageRecordedData {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  meterCode: string;
  quantity: string;
  timestamp: string;
  properties: Record<string, string | number | boolean | null>;
}

export type UsageRecorded = DomainEvent<'UsageRecorded', UsageRecordedData>;

export const MAX_USAGE_BATCH = 1000;
export const MAX_USAGE_PROPERTIES = 50;
export const MAX_PROPERTY_VALUE_LENGTH = 500;

/** One usage event as sent, before the customer behind a `subscriptionId` is known. */
export interface UsageInput {
  id: string;
  subscriptionId: string | null;
  customerId: string | null;
  meterCode: string;
  quantity: string;
  timestamp: Instant;
  properties: UsageRecordedData['properties'];
}

/** Validates one usage event's shape; the meter and the customer are checked by the handler. */
export function parseUsage(raw: unknown, wallClockNow: Instant): UsageInput {
  const errors: FieldError[] = [];
  const body = (raw ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw InvalidInputError.field('body', 'must be a JSON object');
  }
  if (typeof body.id !== 'string' || !ID_PATTERN.test(body.id)) {
    errors.push({ field: 'id', message: 'is required and must match ^[A-Za-z0-9_-]{1,64}$' });
  }
  const hasSubscription = body.subscriptionId !== undefined && body.subscriptionId !== null;
  const hasCustomer = body.customerId !== undefined && body.customerId !== null;
  if (hasSubscription === hasCustomer) {
    errors.push({ field: 'subscriptionId', message: 'give exactly one of subscriptionId and customerId' });
  }
  for (const field of ['subscriptionId', 'customerId'] as const) {
    if (body[field] != null && (typeof body[field] !== 'string' || !ID_PATTERN.test(body[field] as string))) {
      errors.push({ field, message: 'must match ^[A-Za-z0-9_-]{1,64}$' });
    }
  }
  if (typeof body.meterCode !== 'string' || body.meterCode.length === 0 || body.meterCode.length > 64) {
    errors.push({ field: 'meterCode', message: 'is required' });
  }
  const quantity = parseQuantityField(errors, 'quantity', body.quantity ?? '1');
  const timestamp = timestampField(errors, body.timestamp, wallClockNow);
  const properties = propertiesField(errors, body.properties);
  if (errors.length > 0) throw new InvalidInputError(errors);
  return {
    id: body.id as string,
    subscriptionId: (body.subscriptionId as string | undefined) ?? null,
    customerId: (body.customerId as string | undefined) ?? null,
    meterCode: body.meterCode as string,
    quantity: quantity as string,
    timestamp: timestamp as Instant,
    properties,
  };
}

export function usageRecorded(input: UsageInput, customerId: string): UsageRecorded {
  return {
    type: 'UsageRecorded',
    data: {
      id: input.id,
      customerId,
      subscriptionId: input.subscriptionId,
      meterCode: input.meterCode,
      quantity: input.quantity,
      timestamp: formatTimestamp(input.timestamp),
      properties: input.properties,
    },
  };
}

/**
 * One-entry memos of the last timestamp parsed and formatted: a batch's events mostly share
 * their timestamp, and parsing and formatting it per event was about 8% of the API's time at
 * 1,000 events per request (docs/benchmarks.md). Pure: the same text always gives the same instant.
 */
let parsedTimestamp: { text: string; instant: Instant } | null = null;
let formattedTimestamp: { instant: Instant; text: string } | null = null;

function parseTimestamp(value: unknown): Instant {
  if (parsedTimestamp !== null && value === parsedTimestamp.text) return parsedTimestamp.instant;
  const instant = parseInstant('timestamp', value);
  parsedTimestamp = { text: value as string, instant };
  return instant;
}

function formatTimestamp(instant: Instant): string {
  if (formattedTimestamp !== null && instant === formattedTimestamp.instant) return formattedTimestamp.text;
  const text = formatInstant(instant);
  formattedTimestamp = { instant, text };
  return text;
}

function timestampField(errors: FieldError[], value: unknown, wallClockNow: Instant): Instant | null {
  try {
    const instant = parseTimestamp(value);
    assertNotInFuture('timestamp', instant, wallClockNow);
    return instant;
  } catch (error) {
    errors.push(...(error as InvalidInputError).errors);
    return null;
  }
}

function propertiesField(errors: FieldError[], value: unknown): UsageRecordedData['properties'] {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push({ field: 'properties', message: 'must be an object' });
    return {};
  }
  const keys = Object.keys(value);
  if (keys.length > MAX_USAGE_PROPERTIES) {
    errors.push({ field: 'properties', message: `at most ${MAX_USAGE_PROPERTIES} properties` });
  }
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    const kind = typeof item;
    const scalar = item === null || kind === 'string' || kind === 'number' || kind === 'boolean';
    if (!scalar || (kind === 'string' && (item as string).length > MAX_PROPERTY_VALUE_LENGTH)) {
      errors.push({ field: `properties.${key}`, message: 'must be a string (≤ 500 characters), number, boolean or null' });
    }
  }
  return value as UsageRecordedData['properties'];
}
