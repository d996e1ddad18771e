/**
 * The event-store port: the only way anything in Accrual reads or writes the log.
 * Two adapters implement it (Postgres, the embedded default and CI's store; EventStoreDB, for
 * production) and one contract suite (`event-store.contract.ts`) holds both to the same semantics.
 *
 * Revisions and positions are `bigint`: a stream's revision counts from 0; a log position is an
 * integer that increases along the global log (it may have holes, never reorderings).
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Who and when, kept apart from the event's data (business facts). */
export interface EventMetadata {
  actor: string;
  role?: string;
  correlationId?: string;
  causationId?: string;
  requestId?: string;
  /** Wall-clock instant of recording, RFC 3339. Business time lives in the data. */
  recordedAt: string;
  [key: string]: JsonValue | undefined;
}

export interface NewEvent {
  /** A UUID chosen by the caller, deterministic for a given command, so a retry writes nothing twice. */
  id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  type: string;
  streamId: string;
  revision: bigint;
  position: bigint;
  data: JsonObject;
  metadata: EventMetadata;
  /**
   * Tamper evidence: lowercase hex SHA-256 chained to the previous event of the stream (see
   * docs/event-store.md). Undefined where the store keeps no chain.
   */
  hash?: string;
}

/** One stream's share of a multi-stream `appendNewMany`. */
export interface StreamBatch {
  streamId: string;
  events: readonly NewEvent[];
}

/** One stream's share of an `appendMany`: its events and the revision the stream must be at. */
export interface ExpectedStreamBatch {
  streamId: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface AppendManyResult {
  /** One per batch, in the caller's order: what `append` would have answered for that stream. */
  results: AppendResult[];
  /** Events this call wrote: 0 when it found every batch already appended (an idempotent retry). */
  appendedCount: number;
}

/** What `verifyIntegrity` found: the contract's `{ok, checked, firstBadPosition?}` plus a reason. */
export interface IntegrityReport {
  ok: boolean;
  /** Events checked. */
  checked: bigint;
  /** The first log position that does not verify (an edited, deleted or moved event, or a broken seal). */
  firstBadPosition?: bigint;
  /** Why it failed, for people: e.g. `hash mismatch`, `revision gap`, `seal mismatch`. */
  reason?: string;
}

/**
 * - `no_stream`: the stream must not exist yet.
 * - `exists`: the stream must exist (any revision).
 * - `any`: no check.
 * - a bigint: the stream's current revision must be exactly this.
 */
export type ExpectedRevision = 'no_stream' | 'exists' | 'any' | bigint;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expected revision. */
  nextExpectedRevision: bigint;
  /** The log position of the last event appended (or found already appended, on a retry). */
  position: bigint;
}

export interface ReadStreamOptions {
  /** First revision to read, inclusive. Default 0. */
  fromRevision?: bigint;
  /** At most this many events. Default: all. */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events strictly after this position. Default: from the start of the log. */
  after?: bigint;
  /** At most this many events (a limit on everything). */
  maxCount: number;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this checkpoint; undefined means from the start. */
  after?: bigint;
  /** Largest batch handed to the handler at once. */
  maxBatchSize?: number;
}

/**
 * Receives events in log order, in batches. The subscription delivers the next batch only
 * after the handler's promise resolves; a rejection stops the subscription (and rejects `done`).
 */
export type BatchHandler = (events: RecordedEvent[]) => Promise<void>;

export interface Subscription {
  /** Stops after the batch in hand; resolves once stopped. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on `stop()`, rejects on a handler or store error. */
  readonly done: Promise<void>;
}

export interface AppendNewResult {
  /** Ids appended by this call. */
  appendedIds: string[];
  /** Ids the store already held (a retry or a duplicate), not appended again. */
  duplicateIds: string[];
  /** Position of the last event this call appended; undefined when it appended nothing. */
  position?: bigint;
}

export interface EventStore {
  readonly name: string;

  /** Appends atomically: all events or none. Throws `WrongExpectedRevisionError` on a conflict. */
  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;

  /**
   * Appends with expected revision `any`, skipping events whose id the store already holds.
   * For high-volume facts idempotent by their own id (usage). The Postgres adapter checks ids
   * across the whole store; EventStoreDB can only check what it indexes (see docs/event-store.md).
   */
  appendNew(streamId: string, events: readonly NewEvent[]): Promise<AppendNewResult>;

  /**
   * `appendNew` over several streams at once (usage for many customers in one request). The
   * result merges every stream's: ids appended, duplicates, and the largest position appended.
   */
  appendNewMany(batches: readonly StreamBatch[]): Promise<AppendNewResult>;

  /**
   * `append` over several streams, each with its own expected revision, all or nothing: when any
   * stream is not at its expected revision nothing is written and it throws
   * `WrongExpectedRevisionsError` naming every such stream. A retry of an appended call (the same
   * ids at those revisions) writes nothing and answers the original results. Each stream at most
   * once per call; at most `APPEND_EVENTS_MAX` events in all. Atomic on Postgres; on EventStoreDB
   * a loop of `append` (see docs/event-store.md).
   */
  appendMany(batches: readonly ExpectedStreamBatch[]): Promise<AppendManyResult>;

  /** Checks the log's tamper evidence end to end (hash chains and seals). */
  verifyIntegrity(): Promise<IntegrityReport>;

  /** A stream's events, oldest first; a stream that does not exist reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** The global log in order, skipping nothing that may still commit below what it returns. */
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Optional, for rebuilding read models (where absent, use `readAll`): `readAll`'s events, in the
   * same order under the same visibility rule, lighter to move and parse: no hash, and metadata
   * holding only `actor`, `recordedAt` and `schemaVersion` (when stored), without the tracing ids.
   */
  readAllForReplay?(options: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * Position of the last committed event; 0n for an empty log. Waiting until a subscriber has
   * passed it waits for everything committed before the call.
   */
  headPosition(): Promise<bigint>;

  /** A catch-up subscription to the global log: history first, then live events. */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription;

  close(): Promise<void>;
}

/** Merges per-stream `appendNew` results into one (ids in order, the largest position). */
export function mergeAppendNewResults(results: readonly AppendNewResult[]): AppendNewResult {
  const merged: AppendNewResult = { appendedIds: [], duplicateIds: [] };
  for (const result of results) {
    merged.appendedIds.push(...result.appendedIds);
    merged.duplicateIds.push(...result.duplicateIds);
    if (result.position !== undefined && (merged.position === undefined || result.position > merged.position)) {
      merged.position = result.position;
    }
  }
  return merged;
}

export const EVENT_STORE = Symbol('EVENT_STORE');
