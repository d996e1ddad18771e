import { RecordedEvent } from '@accrual/event-store';

/**
 * A log position or revision in JSON: a number while exact, a decimal string beyond 2^53
 * (CONTRACT §2), so no client ever reads a rounded position.
 */
export function jsonInteger(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * An event as the audit API shows it (CONTRACT §6): its data as stored (with `schemaVersion` to
 * read it by), who and when by the wall clock, and its tamper-evidence hash (null where the
 * store keeps none).
 */
export function toAuditEvent(event: RecordedEvent) {
  const metadata = event.metadata;
  return {
    position: jsonInteger(event.position),
    streamId: event.streamId,
    version: jsonInteger(event.revision),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: {
      actor: metadata.actor,
      role: metadata.role ?? null,
      correlationId: metadata.correlationId ?? null,
      causationId: metadata.causationId ?? null,
      requestId: metadata.requestId ?? null,
      recordedAt: metadata.recordedAt,
      schemaVersion: metadata.schemaVersion ?? 1,
    },
    hash: event.hash ?? null,
  };
}
