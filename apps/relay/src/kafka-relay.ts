import { SqlClient } from '@accrual/database';
import { EventStore, RecordedEvent, Subscription } from '@accrual/event-store';
import { CompressionTypes, Kafka, logLevel, Producer } from 'kafkajs';
import { DEFAULT_CLOUD_EVENT_SOURCE } from './cloud-event';
import { KeyHashPartitioner } from './key-partitioner';
import { chunkByBytes, RelayMessage, retryDelayMs, toRelayMessage, topicMessagesOf } from './relay-batches';
import { RelayCheckpoints } from './relay-checkpoints';
import { AcknowledgedPrefix, byLane, PendingRun } from './relay-lanes';
import { jsonLineLog, kafkaLogCreator, RelayLog } from './relay-log';
import { CONTRACT_TOPICS } from './topics';

export interface KafkaRelayOptions {
  eventStore: EventStore;
  /** Where the checkpoint lives (`relay.checkpoints`); usually the read models' database. */
  sql: SqlClient;
  brokers: string[];
  /** Default `accrual-relay`. */
  clientId?: string;
  /** Partitions of a contract topic the relay creates (`ACCRUAL_KAFKA_PARTITIONS`). Default 6. */
  partitions?: number;
  /** Replication factor of a topic the relay creates. Default 1. */
  replicationFactor?: number;
  /** CloudEvents `source`. Default `urn:accrual:ledger`. */
  source?: string;
  /**
   * Put before every contract topic's name. Default none: the contract's names. Only for
   * benchmarks and tests on a broker that real consumers share.
   */
  topicPrefix?: string;
  /** Row of `relay.checkpoints`; distinct names let relays to different clusters share a database. Default `kafka`. */
  checkpointName?: string;
  /** Events read from the log at once (sent in chunks of `maxRequestBytes`). Default 2,000. */
  maxBatchSize?: number;
  /** Bytes of messages in one produce request, under the broker's `message.max.bytes`. Default 512 KiB. */
  maxRequestBytes?: number;
  /**
   * Producers sending at once, each with one request in flight and its own share of the keys
   * (relay-lanes.ts), so that one key's events still reach the broker in log order. Default 2.
   */
  producers?: number;
  /** The relay's own retry loop after a failed batch. Default 250 ms doubling to 30 s. */
  retryBackoffMs?: { initialMs: number; maxMs: number };
  /** How much kafkajs itself logs. Default `logLevel.WARN`. */
  kafkaLogLevel?: logLevel;
  /** Default: JSON lines on stdout/stderr. */
  log?: RelayLog;
}

/**
 * `connecting`: started, not yet connected; `publishing`: connected, sending or caught up;
 * `retrying`: a failure since the last acknowledged batch (see `lastError`); `stopped`.
 */
export type RelayStatus = 'stopped' | 'connecting' | 'publishing' | 'retrying';

/** Ends the batch in hand when `stop()` is called; never reported as a failure. */
class RelayStopping extends Error {}

const TOPIC_CREATION_TIMEOUT_MS = 30_000;
/** How long the broker may take to acknowledge a produce request (acks = all). */
const ACK_TIMEOUT_MS = 30_000;

/**
 * Publishes the event log to Kafka (CONTRACT §7): at least once, in log order per key.
 *
 * A catch-up subscription reads the log after the checkpoint; each batch goes out with an
 * idempotent producer and `acks: -1`, and only once the broker has acknowledged it does the
 * checkpoint move. Anything failing (broker, database, a checkpoint write) ends the subscription;
 * the relay's own loop then waits (bounded exponential backoff), starts a fresh producer and
 * resubscribes from the checkpoint, so a failed batch is sent again, never skipped. A crash
 * between acknowledgement and checkpoint repeats that batch: consumers drop repeats by `id`.
 */
export class KafkaRelay {
  private readonly kafka: Kafka;
  private readonly checkpoints: RelayCheckpoints;
  private readonly log: RelayLog;
  private readonly settings: Required<
    Pick<KafkaRelayOptions, 'partitions' | 'replicationFactor' | 'source' | 'topicPrefix' | 'maxBatchSize' | 'maxRequestBytes' | 'producers' | 'retryBackoffMs'>
  >;
  private checkpointPosition = 0n;
  private currentStatus: RelayStatus = 'stopped';
  private failuresConsecutive = 0;
  private lastFailure: Error | undefined;
  private topicsEnsured = false;
  /** One per lane, all connected or none (`connect`, `dropProducers`). */
  private producers: Producer[] = [];
  private subscription: Subscription | undefined;
  /** Per lane, its requests chained in log order; settles when its last is acknowledged. */
  private laneTails: Array<Promise<void>> = [];
  /** The runs of the log handed to the lanes; where the acknowledged prefix ends. */
  private acknowledged = new AcknowledgedPrefix();
  /** End of the acknowledged prefix: every event up to it is on the broker; saved as the checkpoint next. */
  private acknowledgedPosition = 0n;
  /** The checkpoint writer: one write at a time, each of the latest acknowledged position. */
  private checkpointWriting: Promise<void> = Promise.resolve();
  private checkpointWriterRunning = false;
  private sendingFailure: Error | undefined;
  /** Events handed to the lanes and not yet acknowledged. */
  private sendingEvents = 0;
  /** Woken by every acknowledgement and by a failure: `publishBatch` waiting for room. */
  private sendingProgress = new Set<() => void>();
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Called once by `stop()`: they end what the relay is waiting on (a send, a backoff). */
  private readonly stopListeners = new Set<() => void>();

  constructor(private readonly options: KafkaRelayOptions) {
    if (options.brokers.length === 0) throw new RangeError('KafkaRelay: brokers must not be empty');
    this.settings = {
      partitions: positiveInteger('partitions', options.partitions ?? 6),
      replicationFactor: positiveInteger('replicationFactor', options.replicationFactor ?? 1),
      source: options.source ?? DEFAULT_CLOUD_EVENT_SOURCE,
      topicPrefix: options.topicPrefix ?? '',
      maxBatchSize: positiveInteger('maxBatchSize', options.maxBatchSize ?? 2000),
      maxRequestBytes: positiveInteger('maxRequestBytes', options.maxRequestBytes ?? 512 * 1024),
      producers: positiveInteger('producers', options.producers ?? 2),
      retryBackoffMs: options.retryBackoffMs ?? { initialMs: 250, maxMs: 30_000 },
    };
    this.log = options.log ?? jsonLineLog;
    this.checkpoints = new RelayCheckpoints(options.sql, options.checkpointName ?? 'kafka');
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'accrual-relay',
      brokers: options.brokers,
      connectionTimeout: 3_000,
      requestTimeout: ACK_TIMEOUT_MS,
      // kafkajs retries a request a few times on its own; past that the relay's loop takes over.
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
      logLevel: options.kafkaLogLevel ?? logLevel.WARN,
      logCreator: kafkaLogCreator(this.log),
    });
  }

  /** Log position up to which every event has been acknowledged by the broker. */
  get checkpoint(): bigint {
    return this.checkpointPosition;
  }

  get status(): RelayStatus {
    return this.currentStatus;
  }

  /** The failure that has the relay retrying, if it is; cleared by the next acknowledged batch. */
  get lastError(): Error | undefined {
    return this.failuresConsecutive > 0 ? this.lastFailure : undefined;
  }

  /**
   * How far publishing trails the log: head position − checkpoint. Positions may have holes, so
   * this bounds the number of unpublished events from above; 0n when caught up.
   */
  async lagEvents(): Promise<bigint> {
    const head = await this.options.eventStore.headPosition();
    return head > this.checkpointPosition ? head - this.checkpointPosition : 0n;
  }

  /**
   * Migrates and reads the checkpoint (throws if the database is unusable), then publishes in
   * the background. A broker that is down at start is retried like any later failure, so the
   * process that hosts the relay starts regardless; `status` and `lastError` tell.
   */
  async start(): Promise<void> {
    if (this.loop !== undefined) throw new Error('KafkaRelay: already started');
    await this.checkpoints.migrate();
    this.checkpointPosition = await this.checkpoints.load();
    this.stopping = false;
    this.currentStatus = 'connecting';
    this.log('info', 'kafka relay starting', { brokers: this.options.brokers, checkpoint: this.checkpointPosition });
    this.loop = this.run();
  }

  /** Stops promptly, even mid-retry or mid-send; what was sent but not checkpointed is sent again next time. */
  async stop(): Promise<void> {
    if (this.loop === undefined) return;
    this.stopping = true;
    for (const listener of [...this.stopListeners]) listener();
    await this.subscription?.stop();
    await this.loop;
    await this.dropProducers();
    this.loop = undefined;
    this.currentStatus = 'stopped';
    this.log('info', 'kafka relay stopped', { checkpoint: this.checkpointPosition });
  }

  /** Resolves once the checkpoint reaches `position`; rejects after `timeoutMs`. For tests and start-up checks. */
  async waitForCheckpoint(position: bigint, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.checkpointPosition < position) {
      if (Date.now() >= deadline) {
        const reason = this.lastError ? `; last error: ${this.lastError.message}` : '';
        throw new Error(`KafkaRelay: checkpoint ${this.checkpointPosition} did not reach ${position} in ${timeoutMs} ms${reason}`);
      }
      await delay(25);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.connect();
        // After a failure the relay reads `retrying` until a batch is acknowledged again, or,
        // with nothing left to send, until it is connected again.
        if (this.failuresConsecutive > 0 && (await this.lagEvents()) === 0n) this.failuresConsecutive = 0;
        if (this.failuresConsecutive === 0) this.currentStatus = 'publishing';
        await this.publishFromCheckpoint();
      } catch (error) {
        if (this.stopping || error instanceof RelayStopping) break;
        await this.recordFailure(error);
      }
    }
  }

  private async recordFailure(error: unknown): Promise<void> {
    this.failuresConsecutive += 1;
    this.lastFailure = error instanceof Error ? error : new Error(String(error));
    this.currentStatus = 'retrying';
    const waitMs = retryDelayMs(this.failuresConsecutive, this.settings.retryBackoffMs);
    this.log('error', 'kafka relay: publishing failed, retrying from the checkpoint', {
      error: this.lastFailure.message,
      checkpoint: this.checkpointPosition,
      failuresConsecutive: this.failuresConsecutive,
      retryInMs: waitMs,
    });
    // Fresh producers next time: new producer ids and sequence numbers, whatever state the
    // failed ones were left in.
    await this.dropProducers();
    await this.sleepUnlessStopped(waitMs);
  }

  private async connect(): Promise<void> {
    if (!this.topicsEnsured) {
      await this.ensureTopics();
      this.topicsEnsured = true;
    }
    if (this.producers.length === 0) {
      this.producers = Array.from({ length: this.settings.producers }, () =>
        this.kafka.producer({
          idempotent: true,
          // One request in flight per producer: a retried request can never overtake a later
          // one of its lane, and a key never changes lanes.
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: KeyHashPartitioner,
          retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
        }),
      );
      await this.untilStopped(Promise.all(this.producers.map((producer) => producer.connect())));
    }
  }

  /** Creates the contract topics that are missing; topics that exist are left as they are. */
  private async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await this.untilStopped(admin.connect());
    try {
      const existing = new Set(await this.untilStopped(admin.listTopics()));
      const missing = Object.values(CONTRACT_TOPICS)
        .map((topic) => `${this.settings.topicPrefix}${topic}`)
        .filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      const { partitions, replicationFactor } = this.settings;
      // Returns false (no throw) for topics another process created meanwhile.
      await this.untilStopped(
        admin.createTopics({
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
          waitForLeaders: true,
          timeout: TOPIC_CREATION_TIMEOUT_MS,
        }),
      );
      this.log('info', 'kafka relay: created topics', { topics: missing, partitions, replicationFactor });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Runs one subscription from the checkpoint until it fails (thrown) or the relay stops. */
  private async publishFromCheckpoint(): Promise<void> {
    this.laneTails = this.producers.map(() => Promise.resolve());
    this.acknowledged = new AcknowledgedPrefix();
    this.acknowledgedPosition = this.checkpointPosition;
    this.sendingFailure = undefined;
    this.sendingEvents = 0;
    const subscription = this.options.eventStore.subscribeToAll(
      { after: this.checkpointPosition, maxBatchSize: this.settings.maxBatchSize },
      (events) => this.publishBatch(events),
    );
    this.subscription = subscription;
    let ended: unknown;
    try {
      // stop() may have looked for a subscription just before this one existed.
      if (this.stopping) await subscription.stop();
      await subscription.done;
    } catch (error) {
      ended = error;
    } finally {
      // What was handed to the lanes finishes (or fails) before anything starts again from
      // the checkpoint: two senders must never run at once.
      await Promise.all(this.laneTails.map((tail) => tail.catch(() => undefined)));
      await this.checkpointWriting;
      this.subscription = undefined;
    }
    if (this.sendingFailure !== undefined) throw this.sendingFailure;
    if (ended !== undefined) throw ended;
    // Ended without stop() (the store closed under it): a failure, retried after a backoff
    // rather than resubscribed in a tight loop.
    if (!this.stopping) throw new Error('the log subscription ended by itself');
  }

  /**
   * Hands a batch to the lanes and returns, so that the log is read on while it is on its way.
   * The batch is cut into chunks of at most `maxRequestBytes` (contiguous runs of the log), and
   * each chunk's messages go to their lanes, one request per lane; a lane sends its requests one
   * after another. Once every request of a chunk and of the chunks before it is acknowledged,
   * the checkpoint may move to its end. A failed request fails every later one of its lane
   * unsent and ends the subscription, so the checkpoint never passes an event the broker does
   * not have. At most about one batch waits behind those being sent.
   */
  private async publishBatch(events: RecordedEvent[]): Promise<void> {
    while (this.sendingFailure === undefined && this.sendingEvents > this.settings.maxBatchSize) await this.nextSendingProgress();
    if (this.sendingFailure !== undefined) throw this.sendingFailure;
    const messages = events.map((event) => toRelayMessage(event, this.settings.source));
    this.sendingEvents += messages.length;
    for (const chunk of chunkByBytes(messages, this.settings.maxRequestBytes)) {
      const requests = byLane(chunk, this.producers.length)
        .map((laneMessages, lane) => ({ lane, laneMessages }))
        .filter(({ laneMessages }) => laneMessages.length > 0);
      const run = this.acknowledged.add(chunk[chunk.length - 1].position, requests.length);
      for (const { lane, laneMessages } of requests) {
        const tail = this.laneTails[lane].then(() => this.publishChunk(lane, laneMessages, run));
        this.laneTails[lane] = tail;
        tail.catch((error: unknown) => this.stopSubscriptionAfter(error));
      }
    }
  }

  private nextSendingProgress(): Promise<void> {
    return new Promise((resolve) => this.sendingProgress.add(resolve));
  }

  private wakeSendingWaiters(): void {
    const waiters = [...this.sendingProgress];
    this.sendingProgress.clear();
    for (const wake of waiters) wake();
  }

  /** The first failure of a lane ends the subscription, which may be idle, caught up. */
  private stopSubscriptionAfter(error: unknown): void {
    if (this.sendingFailure !== undefined) return;
    this.sendingFailure = error instanceof Error ? error : new Error(String(error));
    this.wakeSendingWaiters();
    void this.subscription?.stop();
  }

  /** Send a chunk's share on its lane's producer and wait for the acknowledgement of every replica; then the checkpoint may move. */
  private async publishChunk(lane: number, chunk: RelayMessage[], run: PendingRun): Promise<void> {
    const producer = this.producers[lane];
    if (this.sendingFailure !== undefined) throw this.sendingFailure;
    if (this.stopping || producer === undefined) throw new RelayStopping('stopping');
    await this.untilStopped(
      producer.sendBatch({
        topicMessages: topicMessagesOf(chunk, this.settings.topicPrefix),
        acks: -1,
        timeout: ACK_TIMEOUT_MS,
        compression: CompressionTypes.None,
      }),
    );
    this.sendingEvents -= chunk.length;
    const acknowledgedTo = this.acknowledged.acknowledge(run);
    this.wakeSendingWaiters();
    if (acknowledgedTo !== undefined) this.writeCheckpointSoon(acknowledgedTo);
  }

  /**
   * Saves the acknowledged position as the checkpoint, off the lanes' path: one write at a
   * time, each of the latest position acknowledged, so acknowledgements that come during a
   * write share the next one. A failed write ends the subscription like a failed send.
   */
  private writeCheckpointSoon(position: bigint): void {
    this.acknowledgedPosition = position;
    if (this.checkpointWriterRunning) return;
    this.checkpointWriterRunning = true;
    this.checkpointWriting = this.writeCheckpoints();
  }

  private async writeCheckpoints(): Promise<void> {
    try {
      // After a failure nothing more is written: the next subscription starts from the
      // checkpoint saved last, and a failed write must lead to a re-send, never to a skip.
      while (this.sendingFailure === undefined && this.checkpointPosition < this.acknowledgedPosition) {
        const position = this.acknowledgedPosition;
        await this.checkpoints.save(position);
        this.checkpointPosition = position;
        this.failuresConsecutive = 0;
        this.currentStatus = 'publishing';
      }
    } catch (error) {
      this.stopSubscriptionAfter(error);
    } finally {
      // In the same turn as the last check above: an acknowledgement after it starts a new writer.
      this.checkpointWriterRunning = false;
    }
  }

  /**
   * `work`, unless `stop()` comes first: then the relay moves on without waiting (kafkajs may
   * still be retrying inside); whatever `work` did is not checkpointed, so it is sent again.
   * A listener per call, removed when `work` settles: racing every send against one long-lived
   * promise would pile up reactions on it for as long as the relay runs.
   */
  private untilStopped<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    if (this.stopping) return Promise.reject(new RelayStopping('stopping'));
    return new Promise<T>((resolve, reject) => {
      const onStop = (): void => reject(new RelayStopping('stopping'));
      this.stopListeners.add(onStop);
      work.then(resolve, reject).finally(() => this.stopListeners.delete(onStop));
    });
  }

  private sleepUnlessStopped(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.stopListeners.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.stopListeners.add(finish);
    });
  }

  private async dropProducers(): Promise<void> {
    const producers = this.producers;
    this.producers = [];
    await Promise.all(producers.map((producer) => producer.disconnect().catch(() => undefined)));
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`KafkaRelay: ${name} must be a positive integer, got ${value}`);
  return value;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
