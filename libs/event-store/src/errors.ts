import { ExpectedRevision } from './event-store.port';

/** The stream was not at the expected revision: someone else wrote first. Safe to retry. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: bigint | 'no_stream',
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expectedRevision)}, actual ${String(actualRevision)}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

/** One stream of an `appendMany` that was not at its expected revision. */
export interface RevisionConflict {
  streamId: string;
  expectedRevision: ExpectedRevision;
  actualRevision: bigint | 'no_stream';
}

/**
 * `appendMany`: streams not at their expected revision; nothing was written. A
 * `WrongExpectedRevisionError` (about the first of them), so callers that retry on one handle both.
 */
export class WrongExpectedRevisionsError extends WrongExpectedRevisionError {
  constructor(readonly conflicts: readonly RevisionConflict[]) {
    super(conflicts[0].streamId, conflicts[0].expectedRevision, conflicts[0].actualRevision);
    this.message = `${conflicts.length} stream(s) not at their expected revision: ${conflicts
      .slice(0, 5)
      .map((conflict) => `${conflict.streamId} (expected ${String(conflict.expectedRevision)}, actual ${String(conflict.actualRevision)})`)
      .join(', ')}`;
    this.name = 'WrongExpectedRevisionsError';
  }
}

/** Some event ids of an append already exist elsewhere in the store with other content. */
export class DuplicateEventIdError extends Error {
  constructor(readonly streamId: string, readonly eventIds: string[]) {
    super(`stream ${streamId}: event ids already used: ${eventIds.slice(0, 5).join(', ')}`);
    this.name = 'DuplicateEventIdError';
  }
}

/**
 * The store keeps no tamper evidence it could check (EventStoreDB: see docs/event-store.md,
 * "EventStoreDB's limits"). The API answers 501.
 */
export class IntegrityNotSupportedError extends Error {
  constructor(readonly storeName: string) {
    super(`event store ${storeName}: integrity verification is not supported; it needs the Postgres event store`);
    this.name = 'IntegrityNotSupportedError';
  }
}
