import { PgSqlClient, SqlClient, SqlExecutor } from '@accrual/database';
import {
  APPEND_EVENTS_MAX,
  AppendState,
  StoredEventRef,
  boundedCount,
  canonicalBatch,
  decideAppend,
  planAppendNew,
} from '../append-rules';
import {
  AppendNewResult,
  AppendOptions,
  AppendResult,
  BatchHandler,
  EventMetadata,
  EventStore,
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
import { RunTransaction, transactionRunner } from './transactions';
import { InProcessWakeUps, PostgresNotificationListener, WakeUpSource } from './wake-ups';

export interface PostgresEventStoreOptions {
  /** Longest a caught-up subscription waits before reading again without a doorbell. Default 250. */
  pollIntervalMs?: number;
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

interface StreamStateRow {
  current_revision: string | null;
  existing: Array<{ id: string; streamId: string; type: string; revision: string; position: string }>;
}

interface AppendRow {
  appended_count: string;
  first_position: string;
}

const EVENT_COLUMNS = 'global_position, stream_id, stream_revision, event_id::text as event_id, type, data, metadata';

/**
 * Lost a race the database settles (an id committed by another stream's append meanwhile, a
 * deadlock between two such appends): the whole append is retried from its first read.
 */
class AppendRaceError extends Error {}

const RACE_SQLSTATES = new Set(['23505', '40001', '40P01']);

/**
 * The event store on Postgres, through a `SqlClient`, so the same SQL serves server Postgres and
 * PGlite. Ordering: see `schema.ts` and docs/event-store.md.
 */
export class PostgresEventStore implements EventStore {
  readonly name: string;
  private readonly runTransaction: RunTransaction;
  private readonly inProcessWakeUps = new InProcessWakeUps();
  private readonly wakeUpSources: WakeUpSource[];
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly pollIntervalMs: number;
  private readonly subscriptionBatchSizeDefault: number;
  private readonly raceRetriesMax: number;

  constructor(
    private readonly sql: SqlClient,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.name = sql.kind;
    this.runTransaction = transactionRunner(sql);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.subscriptionBatchSizeDefault = options.subscriptionBatchSizeDefault ?? 500;
    this.raceRetriesMax = options.raceRetriesMax ?? 5;
    this.wakeUpSources = [this.inProcessWakeUps];
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
    const batch = canonicalBatch(streamId, events);
    const { result, wrote } = await this.withRaceRetries(() =>
      this.runTransaction((tx) => this.appendInTransaction(tx, streamId, batch, options)),
    );
    if (wrote) this.inProcessWakeUps.ring();
    return result;
  }

  /**
   * Appends inside the caller's transaction: it must be the transaction's first write (the
   * database refuses otherwise, since its xid must be taken under the ordering lock). Readers see
   * nothing past this append's position until the caller commits. No race retries here: the
   * caller owns the transaction.
   */
  async appendWithin(
    tx: SqlExecutor,
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { result } = await this.appendInTransaction(tx, streamId, canonicalBatch(streamId, events), options);
    return result;
  }

  async appendNew(streamId: string, events: readonly NewEvent[]): Promise<AppendNewResult> {
    const batch = canonicalBatch(streamId, events);
    if (batch.length === 0) return { appendedIds: [], duplicateIds: [] };
    const result = await this.withRaceRetries(() =>
      this.runTransaction((tx) => this.appendNewInTransaction(tx, streamId, batch)),
    );
    if (result.appendedIds.length > 0) this.inProcessWakeUps.ring();
    return result;
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
    const result = await this.sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from ${EVENTS_TABLE}
       where global_position > $1
         and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       order by global_position
       limit $2`,
      [(options.after ?? 0n).toString(), maxCount],
    );
    return result.rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<bigint> {
    const result = await this.sql.query<{ global_position: string }>(
      `select global_position from ${EVENTS_TABLE}
       where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       order by global_position desc
       limit 1`,
    );
    return BigInt(result.rows[0]?.global_position ?? '0');
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const maxBatchSize = boundedCount(options.maxBatchSize ?? this.subscriptionBatchSizeDefault, 'maxBatchSize');
    const subscription = new CatchUpSubscription(
      (after, maxCount) => this.readAll({ after, maxCount }),
      { subscribe: (listener) => this.subscribeToWakeUps(listener), close: async () => undefined },
      handler,
      { after: options.after, maxBatchSize, pollIntervalMs: this.pollIntervalMs },
    );
    this.subscriptions.add(subscription);
    void subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  /** Stops subscriptions and the LISTEN connection; closes the `SqlClient` only if it owns it. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await Promise.all(this.wakeUpSources.map((source) => source.close()));
    if (this.options.ownsSqlClient) await this.sql.close();
  }

  private subscribeToWakeUps(listener: () => void): () => void {
    const unsubscribes = this.wakeUpSources.map((source) => source.subscribe(listener));
    return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
  }

  private async appendInTransaction(
    tx: SqlExecutor,
    streamId: string,
    batch: NewEvent[],
    options: AppendOptions,
  ): Promise<{ result: AppendResult; wrote: boolean }> {
    const state = await lockStream(tx, streamId, batch);
    const decision = decideAppend({ ...state, events: batch, expectedRevision: options.expectedRevision });
    if (decision.kind === 'already_appended') return { result: decision.result, wrote: false };
    const written = await writeEvents(tx, streamId, decision.firstRevision, batch, false);
    return {
      result: {
        nextExpectedRevision: decision.firstRevision + BigInt(batch.length - 1),
        position: written.firstPosition + BigInt(batch.length - 1),
      },
      wrote: true,
    };
  }

  private async appendNewInTransaction(tx: SqlExecutor, streamId: string, batch: NewEvent[]): Promise<AppendNewResult> {
    const state = await lockStream(tx, streamId, batch);
    const plan = planAppendNew(batch, new Set(state.existing.map((event) => event.id)));
    if (plan.toAppend.length === 0) return { appendedIds: [], duplicateIds: plan.duplicateIds };
    const firstRevision = state.currentRevision === undefined ? 0n : state.currentRevision + 1n;
    const written = await writeEvents(tx, streamId, firstRevision, plan.toAppend, true);
    // Fewer rows than planned: another stream's append committed one of these ids after our
    // check. Revisions must stay contiguous, so start over; the next check will see that id.
    if (written.appendedCount !== plan.toAppend.length) throw new AppendRaceError('an id was taken meanwhile');
    return {
      appendedIds: plan.toAppend.map((event) => event.id),
      duplicateIds: plan.duplicateIds,
      position: written.firstPosition + BigInt(plan.toAppend.length - 1),
    };
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

async function lockStream(
  tx: SqlExecutor,
  streamId: string,
  batch: readonly NewEvent[],
): Promise<Pick<AppendState, 'streamId' | 'currentRevision' | 'existing'>> {
  const result = await tx.query<StreamStateRow>('select * from event_store_lock_stream($1, $2::uuid[])', [
    streamId,
    batch.map((event) => event.id),
  ]);
  const row = result.rows[0];
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

async function writeEvents(
  tx: SqlExecutor,
  streamId: string,
  firstRevision: bigint,
  batch: readonly NewEvent[],
  skipStoredIds: boolean,
): Promise<{ appendedCount: number; firstPosition: bigint }> {
  if (batch.length === 0 || batch.length > APPEND_EVENTS_MAX) throw new RangeError(`batch of ${batch.length} events`);
  const payload = JSON.stringify(
    batch.map((event) => ({ id: event.id, type: event.type, data: event.data, metadata: event.metadata })),
  );
  const result = await tx.query<AppendRow>('select * from event_store_append_events($1, $2, $3::jsonb, $4)', [
    streamId,
    firstRevision.toString(),
    payload,
    skipStoredIds,
  ]);
  const row = result.rows[0];
  return { appendedCount: Number(row.appended_count), firstPosition: BigInt(row.first_position) };
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
  if (error instanceof AppendRaceError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RACE_SQLSTATES.has(code);
}
