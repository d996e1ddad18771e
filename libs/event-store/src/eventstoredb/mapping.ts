import {
  ANY,
  AppendExpectedRevision,
  jsonEvent,
  NO_STREAM,
  RecordedEvent as EsdbRecordedEvent,
  ResolvedEvent as EsdbResolvedEvent,
  AllStreamResolvedEvent,
  EventData,
  STREAM_EXISTS,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { WrongExpectedRevisionError } from '../errors';
import { EventMetadata, ExpectedRevision, JsonObject, NewEvent, RecordedEvent } from '../event-store.port';

/** Pure translations between the port and `@eventstore/db-client`; no I/O. */

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'exists') return STREAM_EXISTS;
  if (expected === 'any') return ANY;
  return expected;
}

/** Our event as a JSON event: data as data, metadata as the event's metadata, our id as its id. */
export function toEventData(event: NewEvent): EventData {
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
}

/** `WrongExpectedVersionError` becomes ours; anything else passes through unchanged. */
export function mapAppendError(streamId: string, expected: ExpectedRevision, error: unknown): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new WrongExpectedRevisionError(streamId, expected, error.actualVersion);
  }
  return error;
}

/** System events (`$`-prefixed types), which `excludeSystemEvents()` filters on the server. */
export function isSystemEventType(type: string): boolean {
  return type.startsWith('$');
}

type AnyRecorded = NonNullable<EsdbResolvedEvent['event']> | NonNullable<AllStreamResolvedEvent['event']>;

/**
 * An EventStoreDB event as ours. The log position is the commit position (of the event itself on
 * `$all` reads; on stream reads servers from 22.6 report it too).
 */
export function fromResolvedEvent(resolved: EsdbResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new Error('EventStoreDB: a resolved event without its event (unresolved link?)');
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined) {
    throw new Error(`EventStoreDB: no position for ${event.streamId}@${event.revision}; a server >= 22.6 is needed`);
  }
  return {
    id: event.id,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position,
    data: jsonOf(event, event.data, 'data') as JsonObject,
    metadata: jsonOf(event, event.metadata, 'metadata') as EventMetadata,
  };
}

function jsonOf(event: AnyRecorded | EsdbRecordedEvent, value: unknown, part: string): unknown {
  if (value instanceof Uint8Array) {
    try {
      return JSON.parse(Buffer.from(value).toString('utf8'));
    } catch {
      throw new Error(`EventStoreDB: ${part} of ${event.streamId}@${event.revision} is not JSON`);
    }
  }
  if (value === undefined || value === null || typeof value !== 'object') {
    throw new Error(`EventStoreDB: ${part} of ${event.streamId}@${event.revision} is not a JSON object`);
  }
  return value;
}
