import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PostgresEventStore, RecordedEvent } from '@accrual/event-store';
import { Kafka, logLevel } from 'kafkajs';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithKafka } from '../../../test/support/kafka';
import { describeWithPostgres, REPO_ROOT } from '../../../test/support/suites';
import { KafkaRelay } from './kafka-relay';
import { CONTRACT_TOPICS } from './topics';

/**
 * The broker stops and comes back in the middle of a stream: nothing is lost. The test stops a
 * broker, so it runs one of its own (infra/kafka/start.sh on other ports and another state dir),
 * never the shared test broker; it needs what that broker needs (Java 17, the cached jars).
 */

const run = promisify(execFile);
const START_SCRIPT = path.join(REPO_ROOT, 'infra', 'kafka', 'start.sh');
const STOP_SCRIPT = path.join(REPO_ROOT, 'infra', 'kafka', 'stop.sh');
const WAIT_MS = 120_000;
const CUSTOMERS = 8;

/** A broker of the test's own: random ports, a state dir under the temp dir. */
class OwnBroker {
  readonly port = 20_000 + Math.floor(Math.random() * 20_000);
  readonly address = `127.0.0.1:${this.port}`;
  private readonly state = path.join(tmpdir(), `accrual-kafka-restart-${randomBytes(4).toString('hex')}`);
  private readonly env = {
    ...process.env,
    ACCRUAL_KAFKA_PORT: String(this.port),
    ACCRUAL_KAFKA_CONTROLLER_PORT: String(this.port + 1),
    ACCRUAL_KAFKA_STATE: this.state,
    KAFKA_START_TIMEOUT: '150',
  };

  async start(): Promise<void> {
    await run('bash', [START_SCRIPT], { env: this.env, timeout: 200_000 });
  }

  async stop(): Promise<void> {
    await run('bash', [STOP_SCRIPT], { env: this.env, timeout: 60_000 });
  }

  async remove(): Promise<void> {
    await run('bash', [STOP_SCRIPT, '--purge'], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    rmSync(this.state, { recursive: true, force: true });
  }
}

describeWithKafka('KafkaRelay across a broker restart (a broker of its own)', () => {
  describeWithPostgres('KafkaRelay across a broker restart (real Postgres)', () => {
    const broker = new OwnBroker();
    let database: TestDatabase | undefined;

    beforeAll(async () => {
      await broker.start();
    }, 240_000);

    afterAll(async () => {
      await broker.remove();
      await database?.drop().catch(() => undefined);
    }, 120_000);

    it('publishes every event after the broker stopped and started again mid-stream', async () => {
      const opened = await openTestPostgres('accrual_relay_restart');
      database = opened.database;
      const { sql } = opened;
      const store = await PostgresEventStore.open(sql, { pollIntervalMs: 50 });
      const relay = new KafkaRelay({
        eventStore: store,
        sql,
        brokers: [broker.address],
        clientId: 'accrual-relay-restart-test',
        partitions: 3,
        maxBatchSize: 25,
        retryBackoffMs: { initialMs: 100, maxMs: 1_000 },
        kafkaLogLevel: logLevel.NOTHING,
        log: () => undefined,
      });
      try {
        let appended = 0;
        const appendUsage = async (count: number): Promise<void> => {
          for (let index = 0; index < count; index += 1, appended += 1) {
            const customerId = `cus_${appended % CUSTOMERS}`;
            await store.append(`usage-${customerId}`, [usageEvent(customerId, appended)], { expectedRevision: 'any' });
          }
        };

        await relay.start();
        await appendUsage(300);
        await waitUntil(() => relay.checkpoint > 0n, WAIT_MS);

        // Down in the middle of the stream: the relay fails, retries, and the log keeps growing.
        await broker.stop();
        await appendUsage(300);
        await waitUntil(() => relay.status === 'retrying', WAIT_MS);
        const checkpointWhileDown = relay.checkpoint;
        await appendUsage(100);
        expect(relay.checkpoint).toBe(checkpointWhileDown);

        await broker.start();
        await appendUsage(300);
        const log = await readWholeLog(store, appended);
        await relay.waitForCheckpoint(log[log.length - 1].position, WAIT_MS);
        expect(relay.status).toBe('publishing');

        const messages = await consumeUsageTopic(broker.address, log.length);
        const positionsById = new Map(messages.map((message) => [message.id, message.position]));
        // Nothing lost: every event of the log is on the topic (repeats allowed, dropped by id).
        expect(log.filter((event) => !positionsById.has(event.id)).map((event) => event.position)).toEqual([]);
        // Per key, after dropping repeats, in log order.
        const seen = new Set<string>();
        const lastByKey = new Map<string, bigint>();
        for (const message of messages) {
          if (seen.has(message.id)) continue;
          seen.add(message.id);
          expect(message.position > (lastByKey.get(message.key) ?? 0n)).toBe(true);
          lastByKey.set(message.key, message.position);
        }
      } finally {
        await relay.stop();
        await store.close();
        await sql.close();
      }
    }, 400_000);
  });
});

function usageEvent(customerId: string, index: number) {
  return {
    id: randomUUID(),
    type: 'UsageRecorded',
    data: { id: `u${index}`, customerId, meterCode: 'api_calls', quantity: '1', timestamp: '2026-01-10T00:00:00Z', properties: {} },
    metadata: { actor: 'relay-test', role: 'ingest', correlationId: `c${index}`, requestId: `r${index}`, recordedAt: new Date().toISOString(), schemaVersion: 1 },
  };
}

/** The whole log once `count` events are readable (see the other relay tests on why it may read short). */
async function readWholeLog(store: PostgresEventStore, count: number): Promise<RecordedEvent[]> {
  let log: RecordedEvent[] = [];
  await waitUntil(async () => (log = await store.readAll({ maxCount: count + 1 })).length >= count, WAIT_MS);
  expect(log).toHaveLength(count);
  return log;
}

interface UsageMessage {
  id: string;
  key: string;
  position: bigint;
}

/** The usage topic from the beginning, in offset order per partition, once `atLeast` distinct ids arrived. */
async function consumeUsageTopic(address: string, atLeast: number): Promise<UsageMessage[]> {
  const kafka = new Kafka({ clientId: 'accrual-relay-restart-reader', brokers: [address], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const messages: UsageMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [CONTRACT_TOPICS.usage], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = JSON.parse(message.value!.toString()) as { id: string; accrualposition: string };
        messages.push({ id: envelope.id, key: message.key!.toString(), position: BigInt(envelope.accrualposition) });
      },
    });
    await waitUntil(() => new Set(messages.map((message) => message.id)).size >= atLeast, WAIT_MS);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
