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

/** Some event ids of an append already exist elsewhere in the store with other content. */
export class DuplicateEventIdError extends Error {
  constructor(readonly streamId: string, readonly eventIds: string[]) {
    super(`stream ${streamId}: event ids already used: ${eventIds.slice(0, 5).join(', ')}`);
    this.name = 'DuplicateEventIdError';
  }
}
