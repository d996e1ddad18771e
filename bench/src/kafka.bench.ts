import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PgSqlClient } from '@accrual/database';
import { NewEvent, PostgresEventStore } from '@accrual/event-store';
import { closeRuntime, createRuntime, loadConfig } from '@accrual/platform';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { UsageRecorder } from '../../apps/api/src/usage/record-usage/record-usage.command';
import { CONTRACT_TOPICS, KafkaRelay, KafkaRelayOptions } from '../../apps/relay/src';
import { UsageIngest } from '../../apps/usage-ingest/src';
import { Figures, Goal, ROOT } from './results';

export const KAFKA_GOALS: Goal[] = [
  { figure: 'kafka_relay_events_per_s', kind: 'min', target: 20_000, note: 'the relay draining a backlog of the log to Kafka' },
  { figure: 'kafka_ingest_events_per_s', kind: 'min', target: 20_000, note: 'usage from the ingest topic into the log' },
];

/** Partitions of the bench's topics: the relay's default. */
const PARTITIONS = 6;
const METER_CODE = 'api_calls';

/**
 * The brokers to measure on: `KAFKA_BROKERS`, else the test broker of infra/kafka/start.sh
 * (started if it is not running; it prints its address last). The bench's topics carry a
 * prefix of their own and are deleted afterwards, so a shared broker keeps nothing of it.
 */
export async function benchBrokers(): Promise<string[]> {
  const configured = (process.env.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean);
  if (configured.length > 0) return configured;
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'infra', 'kafka', 'start.sh')], { timeout: 300_000 });
  return [stdout.trim().split('\n').pop()!.trim()];
}

function kafkaOn(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'accrual-bench', brokers, logLevel: logLevel.ERROR });
}

async function withTopics<T>(brokers: string[], topics: string[], work: () => Promise<T>): Promise<T> {
  const admin = kafkaOn(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true });
    return await work();
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

export interface KafkaRelayBenchOptions {
  /** Events in the backlog the relay drains. */
  events: number;
  /** Customers whose usage streams the events are spread over. */
  customers: number;
  /** Relay settings to try instead of its defaults (tuning). */
  relay?: Pick<KafkaRelayOptions, 'maxBatchSize' | 'maxRequestBytes' | 'producers'>;
}

/**
 * `kafka_relay_events_per_s`: a backlog of usage events written first (not timed), then the
 * relay from checkpoint 0 until its checkpoint reaches the head, i.e. every event acknowledged
 * by the broker (acks = all) and checkpointed. Topics exist beforehand (not timed).
 */
export async function benchKafkaRelay(databaseUrl: string, brokers: string[], options: KafkaRelayBenchOptions): Promise<Figures> {
  const sql = new PgSqlClient({ connectionString: databaseUrl, maxConnections: 8, applicationName: 'accrual-bench-relay' });
  const store = await PostgresEventStore.open(sql);
  try {
    await writeBacklog(store, options);
    const head = await store.headPosition();
    const prefix = `bench-${randomBytes(4).toString('hex')}.`;
    return await withTopics(brokers, Object.values(CONTRACT_TOPICS).map((topic) => `${prefix}${topic}`), async () => {
      const relay = new KafkaRelay({ eventStore: store, sql, brokers, topicPrefix: prefix, partitions: PARTITIONS, kafkaLogLevel: logLevel.ERROR, log: benchLog, ...options.relay });
      const started = process.hrtime.bigint();
      const cpuAtStart = process.cpuUsage();
      await relay.start();
      try {
        await relay.waitForCheckpoint(head, 30 * 60_000);
      } finally {
        await relay.stop();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write(`[bench] relay: ${options.events} events published and checkpointed in ${seconds.toFixed(1)} s, ${cpuSeconds(cpuAtStart)} s of this process's CPU\n`);
      return { kafka_relay_events_per_s: Math.round(options.events / seconds) };
    });
  } finally {
    await store.close();
    await sql.close();
  }
}

/** Usage events of `customers` customers, 1,000 per append, 4 writers side by side. */
async function writeBacklog(store: PostgresEventStore, options: KafkaRelayBenchOptions): Promise<void> {
  const perAppend = 1000;
  const appends = Math.ceil(options.events / perAppend);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let append = next++; append < appends; append = next++) {
        const customerId = `cus_${(append % options.customers).toString().padStart(6, '0')}`;
        const count = Math.min(perAppend, options.events - append * perAppend);
        const events = Array.from({ length: count }, (_unused, index) => usageEvent(customerId, append * perAppend + index));
        await store.append(`usage-${customerId}`, events, { expectedRevision: 'any' });
      }
    }),
  );
}

function usageEvent(customerId: string, index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'UsageRecorded',
    data: { id: `u-${index}`, customerId, subscriptionId: null, meterCode: METER_CODE, quantity: '1', timestamp: '2026-01-15T10:00:00Z', properties: { region: 'eu-west-1', endpoint: '/v1/things' } },
    metadata: { actor: 'bench', role: 'ingest', correlationId: randomUUID(), requestId: randomUUID(), recordedAt: '2026-01-15T10:00:01.000Z', schemaVersion: 1 },
  };
}

export interface KafkaIngestBenchOptions {
  /** Usage messages on the ingest topic (unique usage ids). */
  events: number;
  /** Customers (created first through the API); messages are keyed by customer. */
  customers: number;
}

/**
 * `kafka_ingest_events_per_s`: the ingest topic filled first (not timed), then `UsageIngest`
 * until every message is in the log. The clock starts at the first slice recorded, so the
 * consumer group's join is not in the figure; the caches of known customers fill during it.
 */
export async function benchKafkaIngest(databaseUrl: string, brokers: string[], options: KafkaIngestBenchOptions): Promise<Figures> {
  const adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
  const config = loadConfig({ DATABASE_URL: databaseUrl, ACCRUAL_API_KEYS: `bench-admin:admin:${adminKey}`, ACCRUAL_SCHEDULER: 'off', ACCRUAL_LOG_LEVEL: 'error', PORT: '0' });
  const runtime = await createRuntime(config, { withProjector: false, applicationName: 'accrual-bench-ingest' });
  const app = await createApiApp(runtime, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const run = randomBytes(4).toString('hex');
  const topic = `bench-${run}.usage-ingest`;
  try {
    const { port } = app.getHttpServer().address() as AddressInfo;
    await createCatalog(`http://127.0.0.1:${port}`, adminKey, options.customers);
    return await withTopics(brokers, [topic, `${topic}.dlq`], async () => {
      await fillIngestTopic(brokers, topic, run, options);
      const ingest = new UsageIngest({
        recorder: new UsageRecorder(runtime),
        brokers,
        topic,
        deadLetterTopic: `${topic}.dlq`,
        groupId: `accrual-bench-${run}`,
        kafkaLogLevel: logLevel.ERROR,
        log: benchLog,
      });
      await ingest.start();
      try {
        let started: bigint | undefined;
        let recordedAtStart = 0;
        let cpuAtStart = process.cpuUsage();
        while (ingest.stats.recorded + ingest.stats.duplicates + ingest.stats.deadLettered < options.events) {
          if (started === undefined && ingest.stats.recorded > 0) {
            started = process.hrtime.bigint();
            cpuAtStart = process.cpuUsage();
            recordedAtStart = ingest.stats.recorded;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (ingest.stats.recorded !== options.events) throw new Error(`ingest: ${JSON.stringify(ingest.stats)} for ${options.events} messages`);
        const seconds = Number(process.hrtime.bigint() - (started ?? process.hrtime.bigint())) / 1e9;
        process.stderr.write(`[bench] ingest: ${options.events} events recorded, ${options.events - recordedAtStart} of them in ${seconds.toFixed(1)} s, ${cpuSeconds(cpuAtStart)} s of this process's CPU\n`);
        return { kafka_ingest_events_per_s: Math.round((options.events - recordedAtStart) / seconds) };
      } finally {
        await ingest.stop();
        const admin = kafkaOn(brokers).admin();
        await admin.connect();
        await admin.deleteGroups([`accrual-bench-${run}`]).catch(() => undefined);
        await admin.disconnect();
      }
    });
  } finally {
    await app.close();
    await closeRuntime(runtime);
  }
}

function customerId(index: number): string {
  return `cus_${index.toString().padStart(6, '0')}`;
}

/** The meter and the customers, through the API (not timed). */
async function createCatalog(baseUrl: string, key: string, customers: number): Promise<void> {
  const post = async (path: string, body: object): Promise<void> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  };
  await post('/v1/meters', { code: METER_CODE, name: 'API calls', aggregation: 'sum' });
  for (let first = 0; first < customers; first += 8) {
    const batch = Array.from({ length: Math.min(8, customers - first) }, (_unused, index) => first + index);
    await Promise.all(batch.map((index) => post('/v1/customers', { id: customerId(index), name: `Customer ${index}`, email: `c${index}@example.com`, currency: 'USD', country: 'US' })));
  }
}

/** `events` usage bodies keyed by customer, as a metering gateway would send them. */
async function fillIngestTopic(brokers: string[], topic: string, run: string, options: KafkaIngestBenchOptions): Promise<void> {
  const producer = kafkaOn(brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const timestamp = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (let first = 0; first < options.events; first += 10_000) {
      const messages = [];
      for (let index = first; index < Math.min(first + 10_000, options.events); index += 1) {
        const customer = customerId((Math.imul(index, 2_654_435_761) >>> 0) % options.customers);
        messages.push({
          key: customer,
          value: `{"id":"u-${run}-${index}","customerId":"${customer}","meterCode":"${METER_CODE}","quantity":"${(index % 7) + 1}","timestamp":"${timestamp}","properties":{"region":"eu-west-1","endpoint":"/v1/things"}}`,
        });
      }
      await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * CPU seconds this process used since `since` (user + system): on a shared machine, events per
 * CPU-second say more about the code than events per wall-clock second.
 */
function cpuSeconds(since: NodeJS.CpuUsage): string {
  const used = process.cpuUsage(since);
  return ((used.user + used.system) / 1e6).toFixed(1);
}

/** Only what goes wrong: the bench's stderr is for figures. */
function benchLog(level: string, message: string, fields?: Record<string, unknown>): void {
  if (level === 'error') process.stderr.write(`[bench] ${message} ${JSON.stringify(fields ?? {}, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
}
