import { CommandContext } from '@accrual/platform';
import { Batch, CompressionTypes, Consumer, EachBatchPayload, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { UsageOutcome } from '../../api/src/usage/record-usage/record-usage.command';
import { retryDelayMs } from '../../relay/src/relay-batches';
import { jsonLineLog, kafkaLogCreator, RelayLog } from '../../relay/src/relay-log';
import {
  deadLetterOf,
  decodeMessage,
  IngestMessage,
  nextOffset,
  Refusal,
  slicesOf,
  USAGE_INGEST_DLQ_TOPIC,
  USAGE_INGEST_TOPIC,
} from './ingest-messages';

/** What the ingest needs of RecordUsage: `UsageRecorder` (apps/api/src/usage/record-usage). */
export interface UsageRecording {
  record(events: unknown[], single: boolean, context: CommandContext): Promise<{ outcome: UsageOutcome; position: bigint }>;
}

export interface UsageIngestOptions {
  recorder: UsageRecording;
  brokers: string[];
  /** The actor recorded on every event (the name an API key would have). Default `kafka-ingest`. */
  actor?: string;
  /** Consumer group; instances sharing it share the partitions. Default `accrual-usage-ingest`. */
  groupId?: string;
  /** Default `accrual-usage-ingest`. */
  clientId?: string;
  /** Default `accrual.usage-ingest.v1` (CONTRACT §7); tests and benchmarks use topics of their own. */
  topic?: string;
  /** Default `accrual.usage-ingest.dlq.v1`. */
  deadLetterTopic?: string;
  /** Partitions of the ingest and dead-letter topics when the ingest creates them. Default 6. */
  partitions?: number;
  replicationFactor?: number;
  /**
   * Partitions worked on at once, each with one RecordUsage call at a time (its slices in
   * offset order); calls of different partitions that meet in `UsageRecorder` share an append.
   * Default 3: 6 measured no faster (docs/benchmarks.md, Kafka).
   */
  partitionsConsumedConcurrently?: number;
  /** Bytes fetched per partition per request (kafkajs `maxBytesPerPartition`). Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Backoff of a slice that failed for a reason other than its content (database down…). Default 250 ms doubling to 30 s. */
  retryBackoffMs?: { initialMs: number; maxMs: number };
  kafkaLogLevel?: logLevel;
  log?: RelayLog;
}

export interface UsageIngestCounts {
  /** Events appended to the log. */
  recorded: number;
  /** Events already in the log (a redelivery, or a usage id sent twice). */
  duplicates: number;
  /** Messages sent to the dead-letter topic. */
  deadLettered: number;
  /** Slices that failed and were retried. */
  retries: number;
}

/** Ends the work in hand when `stop()` is called or the partition was taken away; nothing is committed. */
class IngestInterrupted extends Error {}

const TOPIC_CREATION_TIMEOUT_MS = 30_000;
const ACK_TIMEOUT_MS = 30_000;

/**
 * Usage from Kafka (`accrual.usage-ingest.v1`, CONTRACT §7) into the log through RecordUsage,
 * with the rules of `POST /v1/usage`.
 *
 * Per partition, each fetched batch is cut into slices of at most 1,000 messages; a slice is
 * one RecordUsage call (events stand or fall alone), then its refused messages go to the
 * dead-letter topic, then (only then) its offset + 1 is committed. A crash anywhere before the
 * commit redelivers the slice; the usage id names the event, so what was appended is a
 * duplicate the second time, never a second event. A failure that is not about a message
 * (database or broker down) retries the slice after a backoff for as long as it takes: such a
 * message is never dead-lettered, and the partition waits.
 */
export class UsageIngest {
  private readonly kafka: Kafka;
  private readonly log: RelayLog;
  private readonly topic: string;
  private readonly deadLetterTopic: string;
  private readonly groupId: string;
  private readonly actor: string;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** False once `stop()` is called: a slice in hand ends uncommitted. */
  private running = false;
  /** `startInBackground()` keeps trying while this holds. */
  private wantedRunning = false;
  private readonly counts: UsageIngestCounts = { recorded: 0, duplicates: 0, deadLettered: 0, retries: 0 };
  private failureLast: Error | undefined;

  constructor(private readonly options: UsageIngestOptions) {
    if (options.brokers.length === 0) throw new RangeError('UsageIngest: brokers must not be empty');
    this.log = options.log ?? jsonLineLog;
    this.topic = options.topic ?? USAGE_INGEST_TOPIC;
    this.deadLetterTopic = options.deadLetterTopic ?? USAGE_INGEST_DLQ_TOPIC;
    this.groupId = options.groupId ?? 'accrual-usage-ingest';
    this.actor = options.actor ?? 'kafka-ingest';
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'accrual-usage-ingest',
      brokers: options.brokers,
      connectionTimeout: 3_000,
      requestTimeout: ACK_TIMEOUT_MS,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
      logLevel: options.kafkaLogLevel ?? logLevel.WARN,
      logCreator: kafkaLogCreator(this.log),
    });
  }

  /** Counters since start, for health, metrics and tests. */
  get stats(): Readonly<UsageIngestCounts> {
    return { ...this.counts };
  }

  /** The failure the last retried slice met, until a slice succeeds again. */
  get lastError(): Error | undefined {
    return this.failureLast;
  }

  /**
   * Creates the two topics if missing, joins the group and consumes in the background; rejects
   * when the broker cannot be reached (kafkajs's retries exhausted). Later broker outages are
   * the consumer's to ride out: it reconnects, and kafkajs restarts it after a crash.
   */
  async start(): Promise<void> {
    if (this.consumer !== undefined) throw new Error('UsageIngest: already started');
    this.running = true;
    try {
      await this.ensureTopics();
      await this.connectAndRun();
    } catch (error) {
      await this.disconnect();
      throw error;
    }
    this.log('info', 'usage ingest started', { topic: this.topic, groupId: this.groupId, deadLetterTopic: this.deadLetterTopic });
  }

  /**
   * `start()`, retried with the backoff until it succeeds or `stop()` is called: for a process
   * that hosts the ingest beside other work (`npm start`) and must come up without the broker.
   */
  startInBackground(): void {
    const backoff = this.options.retryBackoffMs ?? { initialMs: 250, maxMs: 30_000 };
    this.wantedRunning = true;
    void (async () => {
      for (let failures = 1; this.wantedRunning && this.consumer === undefined; failures += 1) {
        try {
          await this.start();
          // stop() came while starting, before there was a consumer to stop.
          if (!this.wantedRunning) await this.disconnect();
        } catch (error) {
          if (!this.wantedRunning) return;
          const waitMs = retryDelayMs(failures, backoff);
          this.log('error', 'usage ingest: could not start, retrying', { error: (error as Error).message, retryInMs: waitMs });
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      }
    })();
  }

  private async connectAndRun(): Promise<void> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1024 * 1024,
      // A database outage keeps a slice retrying: heartbeats inside the retry loop keep the
      // partition ours meanwhile, so the session timeout need not cover the outage.
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    this.producer = producer;
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.log('error', 'usage ingest: the consumer crashed', { error: payload.error.message, restartedByKafkajs: payload.restart });
    });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
  }

  /** Leaves the group; a slice in hand is not committed and comes again to whoever takes the partition. */
  async stop(): Promise<void> {
    this.wantedRunning = false;
    if (this.consumer === undefined) return;
    await this.disconnect();
    this.log('info', 'usage ingest stopped', { ...this.counts });
  }

  private async disconnect(): Promise<void> {
    this.running = false;
    const consumer = this.consumer;
    const producer = this.producer;
    this.consumer = undefined;
    this.producer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [this.topic, this.deadLetterTopic].filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      const numPartitions = this.options.partitions ?? 6;
      const replicationFactor = this.options.replicationFactor ?? 1;
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })),
        waitForLeaders: true,
        timeout: TOPIC_CREATION_TIMEOUT_MS,
      });
      this.log('info', 'usage ingest: created topics', { topics: missing, partitions: numPartitions, replicationFactor });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * The batch's slices one after another; each slice's commit goes out once its messages are
   * in the log (or the dead-letter topic), while the next slice is recorded. Commits stay in
   * offset order, and the batch is done when the last is.
   */
  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary } = payload;
    let committing: Promise<void> = Promise.resolve();
    let commitFailure: unknown;
    try {
      for (const slice of slicesOf(batch.messages)) {
        if (commitFailure !== undefined) break;
        await this.retryUntilDone(payload, () => this.ingestSlice(batch, slice));
        // Offset + 1 of the last message: everything up to it is in the log or the dead-letter topic.
        const last = slice[slice.length - 1].offset;
        const offsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset(last) }] }] };
        committing = committing.then(() => commitOffsetsIfNecessary(offsets));
        committing.catch((error: unknown) => (commitFailure ??= error));
        resolveOffset(last);
      }
      await committing;
    } catch (error) {
      // Not committed: the slice is consumed again, here or by the instance that now owns the partition.
      await committing.catch(() => undefined);
      if (error instanceof IngestInterrupted) return;
      throw error;
    }
  }

  /** One RecordUsage call for the slice, then its refused messages to the dead-letter topic. */
  private async ingestSlice(batch: Batch, slice: IngestMessage[]): Promise<void> {
    const refusals: Array<{ message: IngestMessage; refusal: Refusal }> = [];
    const bodies: unknown[] = [];
    const bodyMessages: IngestMessage[] = [];
    for (const message of slice) {
      const decoded = decodeMessage(message.value);
      if (decoded.ok) {
        bodies.push(decoded.body);
        bodyMessages.push(message);
      } else {
        refusals.push({ message, refusal: decoded.refusal });
      }
    }
    let accepted = 0;
    let duplicates = 0;
    if (bodies.length > 0) {
      const { outcome } = await this.options.recorder.record(bodies, false, this.contextFor(batch, slice));
      for (const rejected of outcome.rejected) {
        refusals.push({ message: bodyMessages[rejected.index], refusal: { type: rejected.type, detail: rejected.detail } });
      }
      ({ accepted, duplicates } = outcome);
    }
    if (refusals.length > 0) await this.deadLetter(batch, refusals);
    // Counted once the whole slice is done: a retried slice is not counted twice.
    this.counts.recorded += accepted;
    this.counts.duplicates += duplicates;
  }

  private async deadLetter(batch: Batch, refusals: Array<{ message: IngestMessage; refusal: Refusal }>): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) throw new IngestInterrupted('stopping');
    const origin = { topic: batch.topic, partition: batch.partition, groupId: this.groupId };
    refusals.sort((a, b) => (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
    await producer.send({
      topic: this.deadLetterTopic,
      messages: refusals.map(({ message, refusal }) => deadLetterOf(message, refusal, origin)),
      acks: -1,
      timeout: ACK_TIMEOUT_MS,
      compression: CompressionTypes.None,
    });
    this.counts.deadLettered += refusals.length;
    for (const { message, refusal } of refusals) {
      this.log('warn', 'usage ingest: message dead-lettered', { topic: batch.topic, partition: batch.partition, offset: message.offset, type: refusal.type, detail: refusal.detail });
    }
  }

  /** Who and when, as an HTTP request would give them: one per slice. */
  private contextFor(batch: Batch, slice: IngestMessage[]): CommandContext {
    const requestId = `kafka:${batch.topic}/${batch.partition}/${slice[0].offset}-${slice[slice.length - 1].offset}`;
    return { actor: this.actor, role: 'ingest', correlationId: requestId, causationId: null, requestId, receivedAtMs: Date.now() };
  }

  /**
   * Runs `work` until it succeeds. A failure that is not about a message is retried after a
   * backoff, heartbeating meanwhile; a stop or a rebalance ends the wait uncommitted.
   */
  private async retryUntilDone(payload: EachBatchPayload, work: () => Promise<void>): Promise<void> {
    for (let failures = 0; ; ) {
      if (!this.running || !payload.isRunning() || payload.isStale()) throw new IngestInterrupted('stopping or rebalanced');
      try {
        await work();
        this.failureLast = undefined;
        return;
      } catch (error) {
        if (error instanceof IngestInterrupted) throw error;
        failures += 1;
        this.counts.retries += 1;
        this.failureLast = error instanceof Error ? error : new Error(String(error));
        const waitMs = retryDelayMs(failures, this.options.retryBackoffMs ?? { initialMs: 250, maxMs: 30_000 });
        this.log('error', 'usage ingest: a slice failed, retrying it', {
          error: this.failureLast.message,
          topic: payload.batch.topic,
          partition: payload.batch.partition,
          failuresConsecutive: failures,
          retryInMs: waitMs,
        });
        await this.sleepHeartbeating(payload, waitMs);
      }
    }
  }

  private async sleepHeartbeating(payload: EachBatchPayload, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && this.running && payload.isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, until - Date.now())));
      await payload.heartbeat().catch(() => undefined);
    }
  }
}
