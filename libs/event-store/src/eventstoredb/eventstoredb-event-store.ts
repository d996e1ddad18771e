import {
  AllStreamResolvedEvent,
  AppendResult as EsdbAppendResult,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  ReadPosition,
  START,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { boundedCount, canonicalBatch, canonicalExpectedBatches, canonicalStreamBatches, planAppendNew, repeatedIds } from '../append-rules';
import { DuplicateEventIdError, IntegrityNotSupportedError, WrongExpectedRevisionError, WrongExpectedRevisionsError } from '../errors';
import {
  AppendManyResult,
  AppendNewResult,
  ExpectedStreamBatch,
  IntegrityReport,
  mergeAppendNewResults,
  StreamBatch,
  AppendOptions,
  AppendResult,
  BatchHandler,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { EventStoreDbSubscription } from './eventstoredb-subscription';
import { fromResolvedEvent, isSystemEventType, mapAppendError, toEsdbExpectedRevision, toEventData } from './mapping';

export interface EventStoreDbEventStoreOptions {
  /** Largest batch a subscription hands over when the caller does not say. Default 500. */
  subscriptionBatchSizeDefault?: number;
  /** Dispose of the client in `close()`: set when the store created it. Default false. */
  ownsClient?: boolean;
}

/**
 * The event store on EventStoreDB (KurrentDB) through `@eventstore/db-client`. Positions are
 * commit positions on `$all`. What EventStoreDB does not check (ids across streams; ids reused
 * at the current revision), this adapter does not either: see docs/event-store.md.
 */
export class EventStoreDbEventStore implements EventStore {
  readonly name = 'eventstoredb';
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {}

  /** A store on a client of its own, e.g. `esdb://localhost:2113?tls=false`. */
  static connect(connectionString: string, options: Omit<EventStoreDbEventStoreOptions, 'ownsClient'> = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), { ...options, ownsClient: true });
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const batch = canonicalBatch(streamId, events);
    if (batch.length === 0) throw new RangeError(`stream ${streamId}: an append needs at least one event`);
    const repeated = repeatedIds(batch.map((event) => event.id));
    if (repeated.length > 0) throw new DuplicateEventIdError(streamId, repeated);
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(streamId, batch.map(toEventData), {
        expectedRevision: toEsdbExpectedRevision(options.expectedRevision),
      });
    } catch (error) {
      throw mapAppendError(streamId, options.expectedRevision, error);
    }
    return { nextExpectedRevision: result.nextExpectedRevision, position: await this.positionOf(streamId, result) };
  }

  /**
   * Expected revision `any`. Repeats within the batch are dropped here; beyond that, only the
   * server's own idempotency check (a recent retry of the same batch) keeps ids unique, and it is
   * not reported: every id sent is reported appended.
   */
  async appendNew(streamId: string, events: readonly NewEvent[]): Promise<AppendNewResult> {
    const { toAppend, duplicateIds } = planAppendNew(canonicalBatch(streamId, events), new Set());
    if (toAppend.length === 0) return { appendedIds: [], duplicateIds };
    const result = await this.append(streamId, toAppend, { expectedRevision: 'any' });
    return { appendedIds: toAppend.map((event) => event.id), duplicateIds, position: result.position };
  }

  /**
   * One `appendNew` per stream, in turn. NOT atomic across streams: EventStoreDB has no
   * multi-stream transaction, so a failure midway leaves the earlier streams appended (a retry
   * of the same call then appends the rest; see docs/event-store.md).
   */
  async appendNewMany(batches: readonly StreamBatch[]): Promise<AppendNewResult> {
    const results: AppendNewResult[] = [];
    for (const batch of canonicalStreamBatches(batches)) results.push(await this.appendNew(batch.streamId, batch.events));
    return mergeAppendNewResults(results);
  }

  /**
   * One `append` per stream, in turn. NOT atomic across streams (no multi-stream transaction):
   * a conflict midway leaves the earlier streams appended and stops there; a retry of the same
   * call finds those appended (idempotent) and goes on. Every event sent counts as appended.
   */
  async appendMany(batches: readonly ExpectedStreamBatch[]): Promise<AppendManyResult> {
    const results: AppendResult[] = [];
    let appendedCount = 0;
    for (const batch of canonicalExpectedBatches(batches)) {
      try {
        results.push(await this.append(batch.streamId, batch.events, { expectedRevision: batch.expectedRevision }));
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        throw new WrongExpectedRevisionsError([error]);
      }
      appendedCount += batch.events.length;
    }
    return { results, appendedCount };
  }

  /** No hash chain is kept on EventStoreDB (docs/event-store.md, "EventStoreDB's limits"). */
  async verifyIntegrity(): Promise<IntegrityReport> {
    throw new IntegrityNotSupportedError(this.name);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount === 0) return [];
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        fromRevision: options.fromRevision ?? START,
        direction: FORWARDS,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of read) events.push(fromResolvedEvent(resolved));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * `$all` after a position, system events left out. The client's `readAll` takes no filter and
   * reads from a position inclusively, so pages are filtered here and read until `maxCount`
   * events or the end of the log.
   */
  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    const wanted = boundedCount(options.maxCount, 'readAll maxCount');
    const collected: RecordedEvent[] = [];
    let seenThrough = options.after;
    for (;;) {
      const pageSize = wanted - collected.length + 1;
      const fromPosition: ReadPosition =
        seenThrough === undefined ? START : { commit: seenThrough, prepare: seenThrough };
      const pageStart = seenThrough;
      let read = 0;
      for await (const resolved of this.client.readAll({ fromPosition, direction: FORWARDS, maxCount: pageSize })) {
        read++;
        const event = resolved.event;
        if (!event || (seenThrough !== undefined && event.position.commit <= seenThrough)) continue;
        seenThrough = event.position.commit;
        if (!isSystemEventType(event.type)) collected.push(fromResolvedEvent(resolved));
      }
      if (collected.length >= wanted || read < pageSize) return collected.slice(0, wanted);
      // A full page that moved nothing forward would loop forever: positions must advance.
      if (seenThrough === pageStart) throw new Error(`EventStoreDB: $all does not advance past ${pageStart}`);
    }
  }

  async headPosition(): Promise<bigint> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
      return (resolved as AllStreamResolvedEvent).event?.position.commit ?? 0n;
    }
    return 0n;
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const maxBatchSize = boundedCount(options.maxBatchSize ?? this.options.subscriptionBatchSizeDefault ?? 500, 'maxBatchSize');
    const subscription = new EventStoreDbSubscription(this.client, handler, { after: options.after, maxBatchSize });
    this.subscriptions.add(subscription);
    void subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.options.ownsClient) await this.client.dispose();
  }

  /**
   * The append's commit position, which is that of its last event. An idempotent retry may come
   * back without one; then the last event is read back for it.
   */
  private async positionOf(streamId: string, result: EsdbAppendResult): Promise<bigint> {
    const commit = result.position?.commit;
    if (commit !== undefined && commit >= 0n) return commit;
    const [last] = await this.readStream(streamId, { fromRevision: result.nextExpectedRevision, maxCount: 1 });
    if (!last) throw new Error(`EventStoreDB: ${streamId}@${result.nextExpectedRevision} not found after append`);
    return last.position;
  }
}
