import { JsonObject, RecordedEvent } from '@accrual/event-store';

/** The default CloudEvents `source` of everything the ledger publishes. */
export const DEFAULT_CLOUD_EVENT_SOURCE = 'urn:accrual:ledger';

/**
 * A recorded event as a CloudEvents 1.0 JSON envelope (structured mode). Extension attribute
 * names are lowercase letters and digits only, as the spec requires. Positions and revisions are
 * decimal strings: they may exceed 2^53, and CloudEvents integers are 32-bit.
 */
export interface CloudEvent {
  specversion: '1.0';
  /** The event id: consumers drop repeats by it. */
  id: string;
  source: string;
  /** `accrual.<EventType>.v<schemaVersion>`, e.g. `accrual.InvoiceIssued.v1`. */
  type: string;
  /** The stream id, e.g. `invoice-inv_42`. */
  subject: string;
  /** When the ledger recorded the event (wall clock, RFC 3339); business time is in `data`. */
  time: string;
  datacontenttype: 'application/json';
  data: JsonObject;
  accrualstream: string;
  accrualposition: string;
  accrualrevision: string;
  accrualactor: string;
  accrualcorrelationid?: string;
  accrualcausationid?: string;
}

/** Content type of a structured-mode CloudEvent (CloudEvents Kafka protocol binding). */
export const CLOUD_EVENT_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

export function cloudEventType(event: Pick<RecordedEvent, 'type' | 'metadata'>): string {
  const schemaVersion = event.metadata.schemaVersion;
  const version = typeof schemaVersion === 'number' && Number.isInteger(schemaVersion) && schemaVersion > 0 ? schemaVersion : 1;
  return `accrual.${event.type}.v${version}`;
}

export function toCloudEvent(event: RecordedEvent, source: string = DEFAULT_CLOUD_EVENT_SOURCE): CloudEvent {
  const envelope: CloudEvent = {
    specversion: '1.0',
    id: event.id,
    source,
    type: cloudEventType(event),
    subject: event.streamId,
    time: event.metadata.recordedAt,
    datacontenttype: 'application/json',
    data: event.data,
    accrualstream: event.streamId,
    accrualposition: event.position.toString(),
    accrualrevision: event.revision.toString(),
    accrualactor: event.metadata.actor,
  };
  // Absent, not null: in the JSON format a null attribute means an absent one anyway.
  if (event.metadata.correlationId) envelope.accrualcorrelationid = event.metadata.correlationId;
  if (event.metadata.causationId) envelope.accrualcausationid = event.metadata.causationId;
  return envelope;
}

/**
 * Kafka headers next to the structured envelope: `content-type` tells CloudEvents SDKs the value
 * is a structured event; `ce_id` and `ce_type` serve consumers that filter or dedupe on headers
 * without parsing the value.
 */
export function cloudEventHeaders(envelope: Pick<CloudEvent, 'id' | 'type'>): Record<string, string> {
  return { 'content-type': CLOUD_EVENT_CONTENT_TYPE, ce_id: envelope.id, ce_type: envelope.type };
}
