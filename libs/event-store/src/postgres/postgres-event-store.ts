import { PgSqlClient, SqlClient, SqlExecutor } from '@accrual/database';
import {
  AppendState,
  StoredEventRef,
  boundedCount,
  canonicalBatch,
  canonicalExpectedBatches,
  canonicalStreamBatches,
  decideAppend,
  decideAppendMany,
  planAppendNew,
  repeatedIds,
} from '../append-rules';
import { DuplicateEventIdError, WrongExpectedRevisionsError } from '../errors';
import {
  AppendManyResult,
  AppendNewResult,
  ExpectedStreamBatch,
  IntegrityReport,
  StreamBatch,
  AppendOptions,
  AppendResult,
  BatchHandler,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
  JsonValue,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { Seal, SealingEventStore } from '../sealing';
import { CatchUpSubscription } from './catch-up-subscription';
import {
  EVENTS_TABLE,
  MIGRATION_LOCK_STATEMENT,
  NOTIFICATION_CHANNEL,
  SCHEMA_STATEMENTS,
  SEAL_EVENTS_MAX,
  VERIFY_CHAIN_REASON_STATEMENT,
  VERIFY_CHAIN_STATEMENT,
  VERIFY_HEADS_STATEMENT,
  VERIFY_SEALS_STATEMENT,
  VERIFY_SETTINGS_STATEMENTS,
} from './schema';
import { RunAppend, appendRunner } from './append-connection';
import {
  CoalescingNotifier,
  InProcessWakeUps,
  PostgresNotificationListener,
  WakeUpSource,
  inProcessWakeUpsFor,
} from './wake-ups';

/**
 * How server Postgres subscribers in other processes learn of appends (`LISTEN accrual_events`):
 * - `after_commit` (default): the store sends `NOTIFY` after its appends commit, coalesced, off
 *   the append's path;
 * - `in_transaction`: each append notifies inside its own transaction. Simpler, but NOTIFY takes a
 *   server-wide lock through commit, which serialises concurrent appends.
 * `appendWithin` always notifies in the caller's transaction: the store cannot see that commit.
 */
export type NotifyMode = 'after_commit' | 'in_transaction';

export interface PostgresEventStoreOptions {
  /** Server Postgres only. Default `after_commit`. */
  notify?: NotifyMode;
  /** Longest a caught-up subscription waits before reading again without a doorbell. Default 250. */
  pollIntervalMs?: number;
  /** After a doorbell, while reads come back empty, read again this often (for one poll interval). Default 50. */
  readAgainAfterDoorbellMs?: number;
  /** Largest batch a subscription hands over when the caller does not say. Default 500. */
  subscriptionBatchSizeDefault?: number;
  /** Times one append is retried after losing a race (id taken meanwhile, deadlock). Default 5. */
  raceRetriesMax?: number;
  /** Close the `SqlClient` in `close()`: set when the store created it. Default false. */
  ownsSqlClient?: boolean;
}

interface EventRow {
  global_position: string;
  stream_id: string;
  stream_revision: string;
  event_id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
  hash: string;
}

/** A row of `readAllForReplay`: no hash, and of the metadata only what a replay uses. */
interface ReplayEventRow {
  global_position: string;
  stream_id: string;
  stream_revision: string;
  event_id: string;
  type: string;
  data: JsonObject;
  actor: string | null;
  recorded_at: string | null;
  schema_version: JsonValue | null;
}

/** What `event_store_append` returns: whether it wrote, and the state it decided on. */
interface AppendRow {
  written: boolean;
  current_revision: string | null;
  existing: Array<{ id: string; streamId: string; type: string; revision: string; position: string }>;
  first_revision: string | null;
  first_position: string | null;
  appended_count: string;
}

/** What `event_store_append_new_many` returns: whether it wrote, the ids it found stored, where it wrote. */
interface AppendNewManyRow {
  written: boolean;
  existing_ids: string[];
  first_position: string | null;
  appended_count: string;
}

/** What `event_store_append_many` returns: whether it wrote, and the state it decided on. */
interface AppendManyRow {
  written: boolean;
  /** Stream id to current revision, for the streams that exist. */
  currents: Record<string, string>;
  existing: AppendRow['existing'];
  first_position: string | null;
  appended_count: string;
}

const EVENT_COLUMNS =
  "global_position, stream_id, stream_revision, event_id::text as event_id, type, data, metadata, encode(hash, 'hex') as hash";

/**
 * `readAllForReplay`'s columns: about half the bytes of EVENT_COLUMNS (the metadata's tracing ids
 * and the hash are most of an event's size after its data), and far fewer objects to parse.
 */
const REPLAY_EVENT_COLUMNS =
  "global_position, stream_id, stream_revision, event_id::text as event_id, type, data, metadata->>'actor' as actor, metadata->>'recordedAt' as recorded_at, metadata->'schemaVersion' as schema_version";

/** Seals one `seal()` call makes at most (each covers up to SEAL_EVENTS_MAX events): a bound on one call's work. */
const SEALS_PER_CALL_MAX = 100;

/**
 * Races the database settles by aborting one side: an id committed by another stream's append
 * meanwhile (23505 from the insert), a stream head moved meanwhile (40001 from the append
 * function), a deadlock between two such appends (40P01). The whole append is retried; its next
 * read sees the winner.
 */
const RACE_SQLSTATES = new Set(['23505', '40001', '40P01']);

/**
 * The event store on Postgres, through a `SqlClient`, so the same SQL serves server Postgres and
 * PGlite. Ordering: see `schema.ts` and docs/event-store.md.
 */
export class PostgresEventStore implements SealingEventStore {
  readonly name: string;
  private readonly runAppend: RunAppend;
  private readonly inProcessWakeUps: InProcessWakeUps;
  private readonly wakeUpSources: WakeUpSource[];
  /** Server Postgres: notifies other processes after commit; undefined on PGlite or `in_transaction`. */
  private readonly notifier: CoalescingNotifier | undefined;
  /** Whether the append statement itself notifies (server Postgres with `in_transaction`). */
  private readonly notifyInTransaction: boolean;
  private readonly onServer: boolean;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly pollIntervalMs: number;
  private readonly subscriptionBatchSizeDefault: number;
  private readonly raceRetriesMax: number;

  constructor(
    private readonly sql: SqlClient,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.name = sql.kind;
    this.runAppend = appendRunner(sql);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.subscriptionBatchSizeDefault = options.subscriptionBatchSizeDefault ?? 500;
    this.raceRetriesMax = options.raceRetriesMax ?? 5;
    this.inProcessWakeUps = inProcessWakeUpsFor(sql);
    this.wakeUpSources = [this.inProcessWakeUps];
    this.onServer = sql instanceof PgSqlClient;
    this.notifyInTransaction = this.onServer && options.notify === 'in_transaction';
    this.notifier =
      this.onServer && !this.notifyInTransaction
        ? new CoalescingNotifier(async () => {
            await sql.query(`select pg_notify('${NOTIFICATION_CHANNEL}', '')`);
          })
        : undefined;
    if (sql instanceof PgSqlClient) {
      this.wakeUpSources.push(new PostgresNotificationListener(sql.pool.options, NOTIFICATION_CHANNEL));
    }
  }

  /** A store on `sql` with its schema in place. */
  static async open(sql: SqlClient, options?: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(sql, options);
    await store.migrate();
    return store;
  }

  /** Creates the schema if missing; safe to run at every start, from several processes at once. */
  async migrate(): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query(MIGRATION_LOCK_STATEMENT);
      for (const statement of SCHEMA_STATEMENTS) await tx.query(statement);
    });
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const batch = checkedAppendBatch(streamId, events);
    const row = await this.withRaceRetries(() =>
      this.runAppend((executor) =>
        callAppend(executor, streamId, batch, 'append', options.expectedRevision, this.notifyInTransaction),
      ),
    );
    if (row.written) this.announceCommitted();
    return appendOutcome(streamId, batch, options.expectedRevision, row);
  }

  /**
   * Appends inside the caller's transaction: it must be the transaction's first write (the
   * database refuses otherwise, since its xid must be taken under the ordering lock). Readers see
   * nothing at or past this append's position until the caller commits. No race retries here:
   * the caller owns the transaction, so a race surfaces as the database's error.
   */
  async appendWithin(
    tx: SqlExecutor,
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const batch = checkedAppendBatch(streamId, events);
    const row = await callAppend(tx, streamId, batch, 'append', options.expectedRevision, this.onServer);
    return appendOutcome(streamId, batch, options.expectedRevision, row);
  }

  async appendNew(streamId: string, events: readonly NewEvent[]): Promise<AppendNewResult> {
    const batch = canonicalBatch(streamId, events);
    if (batch.length === 0) return { appendedIds: [], duplicateIds: [] };
    const firsts = firstOccurrences(batch);
    const row = await this.withRaceRetries(() =>
      this.runAppend((executor) => callAppend(executor, streamId, firsts, 'append_new', 'any', this.notifyInTransaction)),
    );
    if (row.written) this.announceCommitted();
    return appendNewOutcome(batch, row);
  }

  /**
   * `appendNew` for several streams in one statement and one transaction: all or nothing. Ids are
   * checked across the whole store and the whole call (a repeat in another stream of the same call
   * is a duplicate too); the log keeps the caller's order.
   */
  async appendNewMany(batches: readonly StreamBatch[]): Promise<AppendNewResult> {
    const checked = canonicalStreamBatches(batches);
    const events = checked.flatMap((batch) => batch.events);
    const seen = new Set<string>();
    if (events.length === 0) return { appendedIds: [], duplicateIds: [] };
    const columns = eventColumns(checked.map((batch) => ({ streamId: batch.streamId, events: firstOccurrences(batch.events, seen) })));
    const row = await this.withRaceRetries(() =>
      this.runAppend((executor) => callAppendNewMany(executor, columns, this.notifyInTransaction)),
    );
    if (row.written) this.announceCommitted();
    return appendNewManyOutcome(events, row);
  }

  /**
   * One statement and one transaction (`event_store_append_many`). When the database declines,
   * the rules decide per stream on the state it saw: a conflict anywhere fails the call; batches
   * already appended (a retry) keep their original results and the rest are written by another
   * call, which each time has fewer batches, so the loop ends.
   */
  async appendMany(batches: readonly ExpectedStreamBatch[]): Promise<AppendManyResult> {
    const checked = canonicalExpectedBatches(batches);
    const results: AppendResult[] = new Array(checked.length);
    let pending = checked.map((_, index) => index);
    let appendedCount = 0;
    while (pending.length > 0) {
      const part = pending.map((index) => checked[index]);
      const row = await this.withRaceRetries(() =>
        this.runAppend((executor) => callAppendMany(executor, part, this.notifyInTransaction)),
      );
      if (row.written) {
        this.announceCommitted();
        appendedCount = writtenManyResults(part, row).reduce((count, result, partIndex) => {
          results[pending[partIndex]] = result;
          return count + part[partIndex].events.length;
        }, 0);
        break;
      }
      const currents = new Map(Object.entries(row.currents).map(([streamId, revision]) => [streamId, BigInt(revision)]));
      const decision = decideAppendMany(part, currents, storedRefs(row.existing));
      if (decision.conflicts.length > 0) throw new WrongExpectedRevisionsError(decision.conflicts);
      if (decision.toWrite.length === part.length) throw new Error('event store: the database declined an appendMany the rules allow');
      for (const [partIndex, result] of decision.alreadyAppended) results[pending[partIndex]] = result;
      pending = decision.toWrite.map((partIndex) => pending[partIndex]);
    }
    return { results, appendedCount };
  }

  /**
   * Checks every stream's hash chain, every stream head and every seal, set-based, in one
   * transaction (statements in schema.ts). The first position that does not verify wins; a
   * failing seal counts at the first position it should cover, unless an event that fails at or
   * before the seal's position already explains it.
   */
  async verifyIntegrity(): Promise<IntegrityReport> {
    return this.sql.transaction(async (tx) => {
      for (const statement of VERIFY_SETTINGS_STATEMENTS) await tx.query(statement);
      const chain = (await tx.query<{ checked: string; bad_position: string | null }>(VERIFY_CHAIN_STATEMENT)).rows[0];
      let bad: { position: bigint; reason: string } | undefined;
      if (chain.bad_position !== null) {
        const reason = await tx.query<{ reason: string }>(VERIFY_CHAIN_REASON_STATEMENT, [chain.bad_position]);
        bad = { position: BigInt(chain.bad_position), reason: reason.rows[0]?.reason ?? 'chain check failed' };
      }
      const [head] = (await tx.query<{ bad_position: string; reason: string }>(VERIFY_HEADS_STATEMENT)).rows;
      if (head && (!bad || BigInt(head.bad_position) < bad.position)) bad = { position: BigInt(head.bad_position), reason: head.reason };
      const [seal] = (await tx.query<{ seal_position: string; covered_after: string }>(VERIFY_SEALS_STATEMENT)).rows;
      if (seal && (!bad || bad.position > BigInt(seal.seal_position))) {
        bad = {
          position: BigInt(seal.covered_after) + 1n,
          reason: `seal at ${seal.seal_position} does not match the events in (${seal.covered_after}, ${seal.seal_position}]`,
        };
      }
      const report: IntegrityReport = { ok: bad === undefined, checked: BigInt(chain.checked) };
      if (bad) Object.assign(report, { firstBadPosition: bad.position, reason: bad.reason });
      return report;
    });
  }

  /**
   * Seals what readers can see now, in seals of at most SEAL_EVENTS_MAX events; returns the seals
   * made, none when nothing is new. Safe from several processes at once (seals are serialised).
   */
  async seal(): Promise<Seal[]> {
    const seals: Seal[] = [];
    for (let call = 0; call < SEALS_PER_CALL_MAX; call++) {
      const result = await this.sql.query<{ seal_position: string; event_count: string; digest: string }>(
        'select seal_position, event_count, digest from event_store_seal($1)',
        [SEAL_EVENTS_MAX],
      );
      const row = result.rows[0];
      if (!row) break;
      seals.push({ position: BigInt(row.seal_position), eventCount: BigInt(row.event_count), digest: row.digest });
      if (BigInt(row.event_count) < BigInt(SEAL_EVENTS_MAX)) break;
    }
    return seals;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount === undefined ? null : streamCount(options.maxCount);
    if (maxCount === 0) return [];
    const result = await this.sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from ${EVENTS_TABLE}
       where stream_id = $1 and stream_revision >= $2
       order by stream_revision
       limit $3`,
      [streamId, (options.fromRevision ?? 0n).toString(), maxCount],
    );
    return result.rows.map(toRecordedEvent);
  }

  /**
   * Only events whose transaction id is below the snapshot's xmin: all of those transactions
   * have ended, and (positions following xids) so have all transactions of smaller positions.
   */
  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.readAllRows<EventRow>(EVENT_COLUMNS, options, 'readAll maxCount')).map(toRecordedEvent);
  }

  /** `readAll` through the same function (the same order and visibility), with fewer columns. */
  async readAllForReplay(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.readAllRows<ReplayEventRow>(REPLAY_EVENT_COLUMNS, options, 'readAllForReplay maxCount')).map(toReplayEvent);
  }

  /** A page of the log through event_store_read_all, with the given columns. */
  private async readAllRows<Row>(columns: string, options: ReadAllOptions, what: string): Promise<Row[]> {
    const maxCount = boundedCount(options.maxCount, what);
    const result = await this.sql.query<Row>(`select ${columns} from event_store_read_all($1, $2)`, [(options.after ?? 0n).toString(), maxCount]);
    return result.rows;
  }

  /**
   * The last committed position, not only the last one a reader may already see: a caller that
   * waits for the read models to reach it waits for everything committed before it asked,
   * including an event hidden for a moment by an older transaction still open elsewhere.
   */
  async headPosition(): Promise<bigint> {
    const result = await this.sql.query<{ global_position: string }>(
      `select global_position from ${EVENTS_TABLE} order by global_position desc limit 1`,
    );
    return BigInt(result.rows[0]?.global_position ?? '0');
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const maxBatchSize = boundedCount(options.maxBatchSize ?? this.subscriptionBatchSizeDefault, 'maxBatchSize');
    const subscription = new CatchUpSubscription(
      (after, maxCount) => this.readAll({ after, maxCount }),
      { subscribe: (listener) => this.subscribeToWakeUps(listener), close: async () => undefined },
      handler,
      {
        after: options.after,
        maxBatchSize,
        pollIntervalMs: this.pollIntervalMs,
        readAgainAfterDoorbellMs: this.options.readAgainAfterDoorbellMs ?? 50,
      },
    );
    this.subscriptions.add(subscription);
    void subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  /** Stops subscriptions and the LISTEN connection; closes the `SqlClient` only if it owns it. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await Promise.all(this.wakeUpSources.map((source) => source.close()));
    await this.notifier?.drain();
    if (this.options.ownsSqlClient) await this.sql.close();
  }

  /** After an append of ours committed: wake subscribers here, and (server) in other processes. */
  private announceCommitted(): void {
    this.inProcessWakeUps.ring();
    this.notifier?.request();
  }

  private subscribeToWakeUps(listener: () => void): () => void {
    const unsubscribes = this.wakeUpSources.map((source) => source.subscribe(listener));
    return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
  }

  private async withRaceRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (retry >= this.raceRetriesMax || !isRace(error)) throw error;
      }
    }
  }
}

/**
 * The events whose id is not in `seen` nor earlier in `events` (the rest are repeats, which
 * appendNew counts as duplicates); adds their ids to `seen`. The append functions take each id once.
 */
function firstOccurrences(events: readonly NewEvent[], seen = new Set<string>()): NewEvent[] {
  const firsts: NewEvent[] = [];
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    firsts.push(event);
  }
  return firsts;
}

/** An append's batch: ids canonical, at least one event, no id twice. */
function checkedAppendBatch(streamId: string, events: readonly NewEvent[]): NewEvent[] {
  const batch = canonicalBatch(streamId, events);
  if (batch.length === 0) throw new RangeError(`stream ${streamId}: an append needs at least one event`);
  const repeated = repeatedIds(batch.map((event) => event.id));
  if (repeated.length > 0) throw new DuplicateEventIdError(streamId, repeated);
  return batch;
}

/**
 * An append's events as the columns the append functions take (schema.ts, EVENT_COLUMNS_SQL), in
 * the batches' order: each stream, type and metadata object once, events pointing at them by
 * (1-based) index. Metadata is shared by identity: the events of one command carry one object.
 * Ids are canonical UUIDs and indexes numbers, so their array literals need no escaping.
 */
interface EventColumns {
  streamIds: string[];
  eventIds: string;
  eventStreams: string;
  types: string[];
  eventTypes: string;
  data: string;
  metadata: string;
  eventMetadata: string;
}

function eventColumns(batches: readonly StreamBatch[]): EventColumns {
  const streamIndexes = new Map<string, number>();
  const typeIndexes = new Map<string, number>();
  const metadataIndexes = new Map<EventMetadata, number>();
  const ids: string[] = [];
  const eventStreams: number[] = [];
  const eventTypes: number[] = [];
  const eventMetadata: number[] = [];
  const data: JsonObject[] = [];
  for (const batch of batches) {
    const stream = indexIn(streamIndexes, batch.streamId);
    for (const event of batch.events) {
      ids.push(event.id);
      eventStreams.push(stream);
      eventTypes.push(indexIn(typeIndexes, event.type));
      eventMetadata.push(indexIn(metadataIndexes, event.metadata));
      data.push(event.data);
    }
  }
  return {
    streamIds: [...streamIndexes.keys()],
    eventIds: `{${ids.join(',')}}`,
    eventStreams: `{${eventStreams.join(',')}}`,
    types: [...typeIndexes.keys()],
    eventTypes: `{${eventTypes.join(',')}}`,
    data: JSON.stringify(data),
    metadata: JSON.stringify([...metadataIndexes.keys()]),
    eventMetadata: `{${eventMetadata.join(',')}}`,
  };
}

/** The 1-based index of `key` in `indexes`, added at the end when new. */
function indexIn<Key>(indexes: Map<Key, number>, key: Key): number {
  let index = indexes.get(key);
  if (index === undefined) {
    index = indexes.size + 1;
    indexes.set(key, index);
  }
  return index;
}

/** The placeholders of EventColumns from `$first` on, cast as the functions declare them. */
function eventColumnPlaceholders(first: number): string {
  const types = ['text[]', 'uuid[]', 'integer[]', 'text[]', 'integer[]', 'jsonb', 'jsonb', 'integer[]'];
  return types.map((type, offset) => `$${first + offset}::${type}`).join(', ');
}

function eventColumnValues(columns: EventColumns): unknown[] {
  return [
    columns.streamIds,
    columns.eventIds,
    columns.eventStreams,
    columns.types,
    columns.eventTypes,
    columns.data,
    columns.metadata,
    columns.eventMetadata,
  ];
}

const APPEND_STATEMENT = `select * from event_store_append(${eventColumnPlaceholders(1)}, $9, $10, $11, $12)`;
const APPEND_NEW_MANY_STATEMENT = `select * from event_store_append_new_many(${eventColumnPlaceholders(1)}, $9)`;
const APPEND_MANY_STATEMENT = `select * from event_store_append_many($1::jsonb, ${eventColumnPlaceholders(2)}, $10)`;

async function callAppend(
  executor: SqlExecutor,
  streamId: string,
  batch: readonly NewEvent[],
  mode: 'append' | 'append_new',
  expectedRevision: ExpectedRevision,
  notify: boolean,
): Promise<AppendRow> {
  const expectedKind = typeof expectedRevision === 'bigint' ? 'revision' : expectedRevision;
  const expectedNumber = typeof expectedRevision === 'bigint' ? expectedRevision.toString() : null;
  const result = await executor.query<AppendRow>(APPEND_STATEMENT, [
    ...eventColumnValues(eventColumns([{ streamId, events: batch }])),
    mode,
    expectedKind,
    expectedNumber,
    notify,
  ]);
  return result.rows[0];
}

async function callAppendNewMany(executor: SqlExecutor, columns: EventColumns, notify: boolean): Promise<AppendNewManyRow> {
  const result = await executor.query<AppendNewManyRow>(APPEND_NEW_MANY_STATEMENT, [...eventColumnValues(columns), notify]);
  return result.rows[0];
}

async function callAppendMany(
  executor: SqlExecutor,
  batches: readonly ExpectedStreamBatch[],
  notify: boolean,
): Promise<AppendManyRow> {
  const expected = JSON.stringify(
    batches.map(({ streamId, expectedRevision }) =>
      typeof expectedRevision === 'bigint'
        ? { s: streamId, k: 'revision', r: expectedRevision.toString() }
        : { s: streamId, k: expectedRevision, r: null },
    ),
  );
  const result = await executor.query<AppendManyRow>(APPEND_MANY_STATEMENT, [expected, ...eventColumnValues(eventColumns(batches)), notify]);
  return result.rows[0];
}

/** Per stream: revisions after the current one, positions in the call's order from the first reserved. */
function writtenManyResults(batches: readonly ExpectedStreamBatch[], row: AppendManyRow): AppendResult[] {
  const total = batches.reduce((sum, batch) => sum + batch.events.length, 0);
  if (Number(row.appended_count) !== total) throw new Error(`event store: ${row.appended_count} of ${total} events written`);
  let offset = BigInt(row.first_position ?? '0') - 1n;
  return batches.map((batch) => {
    const current = row.currents[batch.streamId];
    const count = BigInt(batch.events.length);
    offset += count;
    return { nextExpectedRevision: (current === undefined ? -1n : BigInt(current)) + count, position: offset };
  });
}

/** The same plan as the database's: first occurrences of ids not stored, in the caller's order, on consecutive positions. */
function appendNewManyOutcome(events: readonly NewEvent[], row: AppendNewManyRow): AppendNewResult {
  return plannedOutcome(events, row.existing_ids, row);
}

/**
 * What an appendNew (one stream or many) did, from the rows it saw stored: the same plan as the
 * database's, checked against the count it wrote.
 */
function plannedOutcome(
  events: readonly NewEvent[],
  storedIds: Iterable<string>,
  row: { written: boolean; appended_count: string; first_position: string | null },
): AppendNewResult {
  const plan = planAppendNew(events, new Set(storedIds));
  const appendedCount = Number(row.appended_count);
  if (appendedCount !== (row.written ? plan.toAppend.length : 0)) {
    throw new Error(`event store: ${appendedCount} events written, ${plan.toAppend.length} planned`);
  }
  if (!row.written) return { appendedIds: [], duplicateIds: plan.duplicateIds };
  return {
    appendedIds: plan.toAppend.map((event) => event.id),
    duplicateIds: plan.duplicateIds,
    position: BigInt(row.first_position ?? '0') + BigInt(appendedCount - 1),
  };
}

function stateOf(streamId: string, row: AppendRow): Pick<AppendState, 'streamId' | 'currentRevision' | 'existing'> {
  return {
    streamId,
    currentRevision: row.current_revision === null ? undefined : BigInt(row.current_revision),
    existing: storedRefs(row.existing),
  };
}

function storedRefs(existing: AppendRow['existing']): StoredEventRef[] {
  return existing.map((event) => ({
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    revision: BigInt(event.revision),
    position: BigInt(event.position),
  }));
}

/**
 * The database wrote only what the rules allow; when it declined, the same rules, applied to the
 * state it saw, give the error or the idempotent result. They must not say "write".
 */
function appendOutcome(
  streamId: string,
  batch: readonly NewEvent[],
  expectedRevision: ExpectedRevision,
  row: AppendRow,
): AppendResult {
  const count = BigInt(batch.length);
  if (row.written) {
    if (BigInt(row.appended_count) !== count) throw new Error(`event store: ${row.appended_count} of ${count} events written`);
    return {
      nextExpectedRevision: BigInt(row.first_revision ?? '0') + count - 1n,
      position: BigInt(row.first_position ?? '0') + count - 1n,
    };
  }
  const decision = decideAppend({ ...stateOf(streamId, row), events: batch, expectedRevision });
  if (decision.kind === 'write') throw new Error(`event store: stream ${streamId}: the database declined an append the rules allow`);
  return decision.result;
}

function appendNewOutcome(batch: readonly NewEvent[], row: AppendRow): AppendNewResult {
  return plannedOutcome(batch, row.existing.map((event) => event.id), row);
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: BigInt(row.global_position),
    data: row.data,
    metadata: row.metadata,
    hash: row.hash,
  };
}

function toReplayEvent(row: ReplayEventRow): RecordedEvent {
  const metadata = {} as EventMetadata;
  if (row.actor !== null) metadata.actor = row.actor;
  if (row.recorded_at !== null) metadata.recordedAt = row.recorded_at;
  if (row.schema_version !== null) metadata.schemaVersion = row.schema_version;
  return {
    id: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    revision: BigInt(row.stream_revision),
    position: BigInt(row.global_position),
    data: row.data,
    metadata,
  };
}

/** A stream read's limit is the caller's to choose (default: the whole stream); only its shape is checked. */
function streamCount(count: number): number {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`readStream maxCount must be an integer >= 0, got ${count}`);
  return count;
}

function isRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RACE_SQLSTATES.has(code);
}
