import { PgSqlClient, SqlClient, SqlExecutor } from '@accrual/database';
import {
  AppendState,
  StoredEventRef,
  boundedCount,
  canonicalBatch,
  decideAppend,
  planAppendNew,
  repeatedIds,
} from '../append-rules';
import { DuplicateEventIdError } from '../errors';
import {
  AppendNewResult,
  IntegrityReport,
  mergeAppendNewResults,
  StreamBatch,
  AppendOptions,
  AppendResult,
  BatchHandler,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { CatchUpSubscription } from './catch-up-subscription';
import {
  EVENTS_TABLE,
  MIGRATION_LOCK_STATEMENT,
  NOTIFICATION_CHANNEL,
  SCHEMA_STATEMENTS,
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

const EVENT_COLUMNS = 'global_position, stream_id, stream_revision, event_id::text as event_id, type, data, metadata';

/**
 * Races the database settles by aborting one side: an id committed by another stream's append
 * meanwhile (23505, or 40001 from the append function), a deadlock between two such appends
 * (40P01). The whole append is retried; its next read sees the winner.
 */
const RACE_SQLSTATES = new Set(['23505', '40001', '40P01']);

/**
 * The event store on Postgres, through a `SqlClient`, so the same SQL serves server Postgres and
 * PGlite. Ordering: see `schema.ts` and docs/event-store.md.
 */
export class PostgresEventStore implements EventStore {
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
    const row = await this.withRaceRetries(() =>
      this.runAppend((executor) => callAppend(executor, streamId, batch, 'append_new', 'any', this.notifyInTransaction)),
    );
    if (row.written) this.announceCommitted();
    return appendNewOutcome(batch, row);
  }

  /** Interim: one `appendNew` per stream, in turn (not atomic across streams). */
  async appendNewMany(batches: readonly StreamBatch[]): Promise<AppendNewResult> {
    const results: AppendNewResult[] = [];
    for (const batch of batches) results.push(await this.appendNew(batch.streamId, batch.events));
    return mergeAppendNewResults(results);
  }

  async verifyIntegrity(): Promise<IntegrityReport> {
    throw new Error(`event store ${this.name}: verifyIntegrity is not implemented yet`);
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
    const maxCount = boundedCount(options.maxCount, 'readAll maxCount');
    const result = await this.sql.query<EventRow>(`select ${EVENT_COLUMNS} from event_store_read_all($1, $2)`, [
      (options.after ?? 0n).toString(),
      maxCount,
    ]);
    return result.rows.map(toRecordedEvent);
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

/** An append's batch: ids canonical, at least one event, no id twice. */
function checkedAppendBatch(streamId: string, events: readonly NewEvent[]): NewEvent[] {
  const batch = canonicalBatch(streamId, events);
  if (batch.length === 0) throw new RangeError(`stream ${streamId}: an append needs at least one event`);
  const repeated = repeatedIds(batch.map((event) => event.id));
  if (repeated.length > 0) throw new DuplicateEventIdError(streamId, repeated);
  return batch;
}

async function callAppend(
  executor: SqlExecutor,
  streamId: string,
  batch: readonly NewEvent[],
  mode: 'append' | 'append_new',
  expectedRevision: ExpectedRevision,
  notify: boolean,
): Promise<AppendRow> {
  const payload = JSON.stringify(
    batch.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata })),
  );
  const expectedKind = typeof expectedRevision === 'bigint' ? 'revision' : expectedRevision;
  const expectedNumber = typeof expectedRevision === 'bigint' ? expectedRevision.toString() : null;
  const result = await executor.query<AppendRow>(
    'select * from event_store_append($1, $2::uuid[], $3::jsonb, $4, $5, $6, $7)',
    [streamId, batch.map((event) => event.id), payload, mode, expectedKind, expectedNumber, notify],
  );
  return result.rows[0];
}

function stateOf(streamId: string, row: AppendRow): Pick<AppendState, 'streamId' | 'currentRevision' | 'existing'> {
  const existing: StoredEventRef[] = row.existing.map((event) => ({
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    revision: BigInt(event.revision),
    position: BigInt(event.position),
  }));
  return {
    streamId,
    currentRevision: row.current_revision === null ? undefined : BigInt(row.current_revision),
    existing,
  };
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
  const plan = planAppendNew(batch, new Set(row.existing.map((event) => event.id)));
  const appendedCount = Number(row.appended_count);
  if (appendedCount !== plan.toAppend.length) {
    throw new Error(`event store: ${appendedCount} events written, ${plan.toAppend.length} planned`);
  }
  if (!row.written) return { appendedIds: [], duplicateIds: plan.duplicateIds };
  return {
    appendedIds: plan.toAppend.map((event) => event.id),
    duplicateIds: plan.duplicateIds,
    position: BigInt(row.first_position ?? '0') + BigInt(appendedCount - 1),
  };
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
