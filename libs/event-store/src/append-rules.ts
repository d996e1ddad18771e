import { DuplicateEventIdError, RevisionConflict, WrongExpectedRevisionError } from './errors';
import { AppendResult, ExpectedRevision, ExpectedStreamBatch, NewEvent, StreamBatch } from './event-store.port';

/**
 * The rules every adapter applies to an append, kept pure so that they are unit-tested once and
 * the adapters only fetch state and write. Nothing here does I/O.
 */

/** Largest batch one append may carry; a limit on everything (and on one statement's size). */
export const APPEND_EVENTS_MAX = 10_000;

/** Largest page one read returns; callers page with `after`. */
export const READ_EVENTS_MAX = 10_000;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Event ids are UUIDs compared case-insensitively; the store keeps and returns them lower case
 * (Postgres' `uuid` type prints them so), so adapters compare only canonical ids.
 */
export function canonicalEventId(id: string): string {
  const canonical = id.toLowerCase();
  if (!UUID_PATTERN.test(canonical)) {
    throw new RangeError(`event id must be a UUID, got ${JSON.stringify(id)}`);
  }
  return canonical;
}

/** Checks a batch's shape and returns it with canonical ids, in the caller's order. */
export function canonicalBatch(streamId: string, events: readonly NewEvent[]): NewEvent[] {
  if (streamId.length === 0) throw new RangeError('stream id must not be empty');
  if (events.length > APPEND_EVENTS_MAX) {
    throw new RangeError(`an append carries at most ${APPEND_EVENTS_MAX} events, got ${events.length}`);
  }
  return events.map((event) => {
    if (event.type.length === 0) throw new RangeError(`event ${event.id}: type must not be empty`);
    // The event itself when its id is canonical already (the usual case): no copy per event.
    const id = canonicalEventId(event.id);
    return id === event.id ? event : { ...event, id };
  });
}

/**
 * Checks a multi-stream call (`appendNewMany`): each stream's part as `canonicalBatch`, and at
 * most `APPEND_EVENTS_MAX` events in all, since they go to the database in one statement.
 */
export function canonicalStreamBatches(batches: readonly StreamBatch[]): StreamBatch[] {
  const total = batches.reduce((sum, batch) => sum + batch.events.length, 0);
  if (total > APPEND_EVENTS_MAX) {
    throw new RangeError(`an append carries at most ${APPEND_EVENTS_MAX} events, got ${total} over ${batches.length} streams`);
  }
  return batches.map((batch) => ({ streamId: batch.streamId, events: canonicalBatch(batch.streamId, batch.events) }));
}

/**
 * Checks an `appendMany` call: each stream's part as an `append` batch (at least one event), each
 * stream once, no id twice in the whole call, at most `APPEND_EVENTS_MAX` events in all.
 */
export function canonicalExpectedBatches(batches: readonly ExpectedStreamBatch[]): ExpectedStreamBatch[] {
  const checked = canonicalStreamBatches(batches).map((batch, index) => ({ ...batch, expectedRevision: batches[index].expectedRevision }));
  const streamIds = new Set<string>();
  for (const batch of checked) {
    if (batch.events.length === 0) throw new RangeError(`stream ${batch.streamId}: an append needs at least one event`);
    if (streamIds.has(batch.streamId)) throw new RangeError(`stream ${batch.streamId}: named twice in one appendMany`);
    streamIds.add(batch.streamId);
  }
  const repeated = repeatedIds(checked.flatMap((batch) => batch.events.map((event) => event.id)));
  if (repeated.length > 0) {
    const first = checked.find((batch) => batch.events.some((event) => event.id === repeated[0])) as ExpectedStreamBatch;
    throw new DuplicateEventIdError(first.streamId, repeated);
  }
  return checked;
}

export interface AppendManyDecision {
  /** Batches (by index) already appended, with their original results. */
  alreadyAppended: Map<number, AppendResult>;
  /** Batches (by index) the rules allow to write now. */
  toWrite: number[];
  /** Streams not at their expected revision: the call must fail, writing nothing. */
  conflicts: RevisionConflict[];
}

/**
 * `decideAppend` for each batch of an `appendMany`, against one state of the store: the streams'
 * current revisions and the call's ids already stored. A reused id throws `DuplicateEventIdError`.
 */
export function decideAppendMany(
  batches: readonly ExpectedStreamBatch[],
  currentRevisions: ReadonlyMap<string, bigint>,
  existing: readonly StoredEventRef[],
): AppendManyDecision {
  const decision: AppendManyDecision = { alreadyAppended: new Map(), toWrite: [], conflicts: [] };
  const existingById = new Map(existing.map((event) => [event.id, event]));
  for (const [index, batch] of batches.entries()) {
    try {
      const one = decideAppend({
        streamId: batch.streamId,
        events: batch.events,
        expectedRevision: batch.expectedRevision,
        currentRevision: currentRevisions.get(batch.streamId),
        existing: batch.events.flatMap((event) => existingById.get(event.id) ?? []),
      });
      if (one.kind === 'write') decision.toWrite.push(index);
      else decision.alreadyAppended.set(index, one.result);
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      decision.conflicts.push({ streamId: error.streamId, expectedRevision: error.expectedRevision, actualRevision: error.actualRevision });
    }
  }
  return decision;
}

/** Ids that occur more than once in one batch, each reported once, in order of first repeat. */
export function repeatedIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) repeated.add(id);
    seen.add(id);
  }
  return [...repeated];
}

/** Bounds a read's page size: positive integers only, at most `READ_EVENTS_MAX`. */
export function boundedCount(count: number, what: string): number {
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`${what} must be a positive integer, got ${count}`);
  return Math.min(count, READ_EVENTS_MAX);
}

/**
 * Checks an expected revision against the stream's current revision (`undefined`: no stream)
 * and returns the revision the first new event takes.
 */
export function firstRevisionFor(
  streamId: string,
  expectedRevision: ExpectedRevision,
  currentRevision: bigint | undefined,
): bigint {
  const actual = currentRevision ?? 'no_stream';
  const satisfied =
    expectedRevision === 'any' ||
    (expectedRevision === 'no_stream' && currentRevision === undefined) ||
    (expectedRevision === 'exists' && currentRevision !== undefined) ||
    (typeof expectedRevision === 'bigint' && currentRevision === expectedRevision);
  if (!satisfied) throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
  return currentRevision === undefined ? 0n : currentRevision + 1n;
}

/** Whether an append whose first event took revision `firstRevision` satisfied `expectedRevision`. */
export function expectationHeldAt(expectedRevision: ExpectedRevision, firstRevision: bigint): boolean {
  if (expectedRevision === 'any') return true;
  if (expectedRevision === 'no_stream') return firstRevision === 0n;
  if (expectedRevision === 'exists') return firstRevision > 0n;
  // A number names a revision the stream was at; no stream is ever at a negative one.
  return expectedRevision >= 0n && firstRevision === expectedRevision + 1n;
}

/** An event the store already holds, found by id. */
export interface StoredEventRef {
  id: string;
  streamId: string;
  type: string;
  revision: bigint;
  position: bigint;
}

export type AppendDecision =
  | { kind: 'write'; firstRevision: bigint }
  | { kind: 'already_appended'; result: AppendResult };

export interface AppendState {
  streamId: string;
  /** The batch, ids canonical. */
  events: readonly Pick<NewEvent, 'id' | 'type'>[];
  expectedRevision: ExpectedRevision;
  /** The stream's current revision; `undefined` when it does not exist. */
  currentRevision: bigint | undefined;
  /** Events of the batch (by id) the store already holds, anywhere. */
  existing: readonly StoredEventRef[];
}

/**
 * Decides an append. An idempotent retry, the batch already stored in this stream in this order
 * at revisions where the same expected revision held, returns the original result and writes
 * nothing. Any other id already stored is a `DuplicateEventIdError`; otherwise the expected
 * revision is checked against the stream as it is now.
 */
export function decideAppend(state: AppendState): AppendDecision {
  if (state.events.length === 0) throw new RangeError(`stream ${state.streamId}: an append needs at least one event`);
  const repeated = repeatedIds(state.events.map((event) => event.id));
  if (repeated.length > 0) throw new DuplicateEventIdError(state.streamId, repeated);
  if (state.existing.length === 0) {
    return { kind: 'write', firstRevision: firstRevisionFor(state.streamId, state.expectedRevision, state.currentRevision) };
  }
  const original = originalAppend(state);
  if (original) return { kind: 'already_appended', result: original };
  const existingIds = new Set(state.existing.map((event) => event.id));
  throw new DuplicateEventIdError(
    state.streamId,
    state.events.map((event) => event.id).filter((id) => existingIds.has(id)),
  );
}

/** The original append's result when the batch is exactly a stored append, else undefined. */
function originalAppend(state: AppendState): AppendResult | undefined {
  if (state.existing.length !== state.events.length) return undefined;
  const byId = new Map(state.existing.map((event) => [event.id, event]));
  const first = byId.get(state.events[0].id);
  if (!first || !expectationHeldAt(state.expectedRevision, first.revision)) return undefined;
  let last = first;
  for (let index = 0; index < state.events.length; index++) {
    const stored = byId.get(state.events[index].id);
    const matches =
      stored !== undefined &&
      stored.streamId === state.streamId &&
      stored.type === state.events[index].type &&
      stored.revision === first.revision + BigInt(index);
    if (!matches) return undefined;
    last = stored;
  }
  return { nextExpectedRevision: last.revision, position: last.position };
}

export interface AppendNewPlan {
  /** Events to write, in the caller's order, ids canonical. */
  toAppend: NewEvent[];
  /** Ids the store already holds, or repeated earlier in the same batch. */
  duplicateIds: string[];
}

/** Splits an `appendNew` batch into new events and duplicates (stored ones, or repeats within it). */
export function planAppendNew(events: readonly NewEvent[], storedIds: ReadonlySet<string>): AppendNewPlan {
  const seen = new Set<string>();
  const toAppend: NewEvent[] = [];
  const duplicateIds: string[] = [];
  for (const event of events) {
    if (storedIds.has(event.id) || seen.has(event.id)) {
      duplicateIds.push(event.id);
    } else {
      toAppend.push(event);
    }
    seen.add(event.id);
  }
  return { toAppend, duplicateIds };
}
