import { randomBytes } from 'node:crypto';
import { RecordedEvent } from '@accrual/event-store';
import { Consumer, IHeaders, Message } from 'kafkajs';
import { startTestApiOn, TestApi } from '../../../test/support/api-app';
import { describeWithKafka, kafkaBrokers, testKafka } from '../../../test/support/kafka';
import { describeWithPostgres } from '../../../test/support/suites';
import { UsageRecorder } from '../../api/src/usage/record-usage/record-usage.command';
import { DLQ_HEADERS, MESSAGE_ERROR_TYPES } from './ingest-messages';
import { UsageIngest, UsageIngestOptions, UsageRecording } from './usage-ingest';

/**
 * The ingest against the real broker and the real API's database. The broker is shared and
 * outlives test runs, so every test uses topics and a consumer group of its own (the contract's
 * names are the defaults, see ingest-messages.unit.spec.ts).
 */

const WAIT_MS = 60_000;
const FAST_RETRIES = { initialMs: 50, maxMs: 400 };
const METER = 'api_calls';

describeWithKafka('UsageIngest (real Kafka)', () => {
  describeWithPostgres('UsageIngest (real Postgres)', () => {
    const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    let api: TestApi;
    let closers: Array<() => Promise<unknown>> = [];
    const topics: string[] = [];
    const [ada, bob] = [`cus_ada_${run}`, `cus_bob_${run}`];

    beforeAll(async () => {
      api = await startTestApiOn('postgres', 'accrual_ingest');
      await expectCreated('/v1/meters', { code: METER, name: 'API calls', aggregation: 'sum' });
      for (const id of [ada, bob]) await expectCreated('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', country: 'US' });
    });

    afterEach(async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      closers = [];
    });

    afterAll(async () => {
      await api?.close();
      const admin = testKafka('accrual-ingest-test-admin').admin();
      await admin.connect();
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    });

    async function expectCreated(path: string, body: object): Promise<void> {
      const response = await api.request('POST', path, { body });
      expect({ path, status: response.status, body: response.body }).toMatchObject({ path, status: 201 });
    }

    /** Topics and a group of the test's own; the topics are created with 2 partitions. */
    function names(test: string): { topic: string; deadLetterTopic: string; groupId: string } {
      const topic = `test.usage-ingest.${run}.${test}`;
      const deadLetterTopic = `${topic}.dlq`;
      topics.push(topic, deadLetterTopic);
      return { topic, deadLetterTopic, groupId: `accrual-ingest-test-${run}-${test}` };
    }

    /** The test's topics, made before anything is produced to them. */
    async function createTopics(settings: ReturnType<typeof names>): Promise<void> {
      const admin = testKafka('accrual-ingest-test-admin').admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [settings.topic, settings.deadLetterTopic].map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
    }

    function ingestOn(settings: ReturnType<typeof names>, options: Partial<UsageIngestOptions> = {}): UsageIngest {
      const ingest = new UsageIngest({
        recorder: new UsageRecorder(api.runtime),
        brokers: kafkaBrokers(),
        clientId: `accrual-ingest-test-${run}`,
        partitions: 2,
        retryBackoffMs: FAST_RETRIES,
        log: () => undefined,
        ...settings,
        ...options,
      });
      closers.push(() => ingest.stop());
      return ingest;
    }

    async function produce(topic: string, messages: Message[]): Promise<void> {
      const producer = testKafka('accrual-ingest-test-producer').producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, messages, acks: -1 });
      } finally {
        await producer.disconnect();
      }
    }

    /** The usage events of a customer in the log. */
    async function usageOf(customerId: string): Promise<RecordedEvent[]> {
      return api.runtime.eventStore.readStream(`usage-${customerId}`);
    }

    /** Committed offsets of the group equal the topic's end offsets: everything consumed. */
    async function allCommitted(groupId: string, topic: string): Promise<boolean> {
      const admin = testKafka('accrual-ingest-test-admin').admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        // An empty partition has nothing to commit (what it holds then depends on how the group
        // was reset: -1, -2 or 0).
        const committedOf = (partition: number) => committed.partitions.find((entry) => entry.partition === partition)?.offset;
        return ends.every(({ partition, high }) => high === '0' || committedOf(partition) === high);
      } finally {
        await admin.disconnect();
      }
    }

    const usage = (id: string, customerId: string, more: object = {}): string =>
      JSON.stringify({ id: `${id}_${run}`, customerId, meterCode: METER, quantity: '2', timestamp: '2026-01-10T12:00:00Z', ...more });

    it('records good messages and dead-letters poison ones with the reason, the partition moving on', async () => {
      const settings = names('poison');
      const ingest = ingestOn(settings);
      await ingest.start();
      // One key: one partition, so the good messages sit between the poison ones.
      const messages: Message[] = [
        { key: ada, value: usage('u1', ada) },
        { key: ada, value: '{"id": "u-broken", ', headers: { 'x-source': 'meter-gateway' } },
        { key: ada, value: usage('u2', ada) },
        { key: ada, value: null },
        { key: ada, value: usage('u3', `cus_nobody_${run}`) },
        { key: ada, value: usage('u4', ada, { meterCode: 'no_such_meter' }) },
        { key: ada, value: JSON.stringify({ customerId: ada, meterCode: METER }) },
        { key: ada, value: '[1, 2]' },
        { key: ada, value: usage('u5', ada) },
        { key: ada, value: usage('u1', ada) }, // the same usage id again: a duplicate, not poison
      ];
      await produce(settings.topic, messages);

      await waitUntil(() => allCommitted(settings.groupId, settings.topic), WAIT_MS);
      expect(ingest.stats).toMatchObject({ recorded: 3, duplicates: 1, deadLettered: 6 });

      const recorded = await usageOf(ada);
      expect(recorded.map((event) => (event.data as { id: string }).id)).toEqual([`u1_${run}`, `u2_${run}`, `u5_${run}`]);
      expect(recorded.every((event) => event.metadata.actor === 'kafka-ingest' && event.metadata.role === 'ingest')).toBe(true);

      const deadLetters = await consumeAll(settings.deadLetterTopic, 6);
      const byOffset = new Map(deadLetters.map((letter) => [Number(letter.headers[DLQ_HEADERS.originalOffset]), letter]));
      const expected: Array<[number, string]> = [
        [1, MESSAGE_ERROR_TYPES.invalidJson],
        [3, MESSAGE_ERROR_TYPES.emptyValue],
        [4, 'customer-not-found'],
        [5, 'unknown-meter'],
        [6, 'invalid-input'],
        [7, 'invalid-input'],
      ];
      expect([...byOffset.keys()].sort((a, b) => a - b)).toEqual(expected.map(([offset]) => offset));
      for (const [offset, type] of expected) {
        const letter = byOffset.get(offset)!;
        expect({ offset, type: letter.headers[DLQ_HEADERS.errorType] }).toEqual({ offset, type });
        expect(letter.headers[DLQ_HEADERS.errorDetail].length).toBeGreaterThan(0);
        expect(letter.headers[DLQ_HEADERS.originalTopic]).toBe(settings.topic);
        expect(letter.headers[DLQ_HEADERS.consumerGroup]).toBe(settings.groupId);
        expect(letter.key).toBe(ada);
        expect(letter.value).toBe(messages[offset].value === null ? null : String(messages[offset].value));
      }
      expect(byOffset.get(1)!.headers['x-source']).toBe('meter-gateway');
      expect(byOffset.get(4)!.headers[DLQ_HEADERS.errorDetail]).toMatch(/customer/);
    });

    it('retries a slice that fails for a reason other than its messages, never dead-lettering it', async () => {
      const settings = names('transient');
      const real = new UsageRecorder(api.runtime);
      let injected = 0;
      // The database going away, as RecordUsage would see it: an error that is not a DomainError.
      const flaky: UsageRecording = {
        record: async (events, single, context) => {
          if (injected < 3) {
            injected += 1;
            throw new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected by the test)');
          }
          return real.record(events, single, context);
        },
      };
      const ingest = ingestOn(settings, { recorder: flaky });
      await ingest.start();
      await produce(settings.topic, [1, 2, 3, 4].map((n) => ({ key: bob, value: usage(`t${n}`, bob) })));

      await waitUntil(() => allCommitted(settings.groupId, settings.topic), WAIT_MS);
      expect(injected).toBe(3);
      expect(ingest.stats).toMatchObject({ recorded: 4, deadLettered: 0 });
      expect(ingest.stats.retries).toBeGreaterThanOrEqual(3);
      expect(ingest.lastError).toBeUndefined();
      const ids = (await usageOf(bob)).map((event) => (event.data as { id: string }).id);
      expect(ids.filter((id) => id.startsWith('t'))).toEqual([1, 2, 3, 4].map((n) => `t${n}_${run}`));
      expect(await consumeAll(settings.deadLetterTopic, 0)).toEqual([]);
    });

    it('records nothing twice when restarted mid-stream, even when every offset is consumed again', async () => {
      const settings = names('restart');
      const count = 4000;
      const customers = [ada, bob];
      const messages = Array.from({ length: count }, (_unused, index) => {
        const customerId = customers[index % 2];
        return { key: customerId, value: usage(`r${index}`, customerId) };
      });
      await createTopics(settings);
      await produce(settings.topic, messages);

      // Past 500 events the database goes away for the first run (as in the test above), so that
      // it stops mid-stream however fast the machine records.
      const real = new UsageRecorder(api.runtime);
      let recordedSoFar = 0;
      const failingPast500: UsageRecording = {
        record: async (events, single, context) => {
          if (recordedSoFar >= 500) throw new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected by the test)');
          const result = await real.record(events, single, context);
          recordedSoFar += result.outcome.accepted;
          return result;
        },
      };
      const first = ingestOn(settings, { maxBytesPerPartition: 64 * 1024, recorder: failingPast500 });
      await first.start();
      await waitUntil(() => first.stats.recorded >= 500, WAIT_MS, () => `first: ${JSON.stringify(first.stats)} ${first.lastError?.message ?? ''}`);
      await first.stop();
      const recordedByFirst = first.stats.recorded;
      expect(recordedByFirst).toBeLessThan(count);

      // Back to the start of the topic: the second run sees every message again, those the
      // first run recorded (committed or not) included.
      const admin = testKafka('accrual-ingest-test-admin').admin();
      await admin.connect();
      await admin.resetOffsets({ groupId: settings.groupId, topic: settings.topic, earliest: true });
      await admin.disconnect();

      const second = ingestOn(settings);
      await second.start();
      await waitUntil(() => allCommitted(settings.groupId, settings.topic), WAIT_MS, () => `second: ${JSON.stringify(second.stats)} ${second.lastError?.message ?? ''}`);
      expect(second.stats.recorded + recordedByFirst).toBe(count);
      expect(second.stats.duplicates).toBe(recordedByFirst);
      expect(second.stats.deadLettered).toBe(0);

      const ids = (await Promise.all(customers.map(usageOf))).flat().map((event) => (event.data as { id: string }).id).filter((id) => id.startsWith('r'));
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
    });
  });
});

interface DeadLetter {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Everything on `topic` from the beginning, once at least `atLeast` messages have arrived (and a moment more). */
async function consumeAll(topic: string, atLeast: number): Promise<DeadLetter[]> {
  const groupId = `accrual-ingest-test-reader-${randomBytes(4).toString('hex')}`;
  const consumer: Consumer = testKafka('accrual-ingest-test-reader').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers: headerStrings(message.headers) });
      },
    });
    await waitUntil(() => joined && letters.length >= atLeast, WAIT_MS);
    await delay(1_000); // room for a message too many to show up, if there were one
    return letters;
  } finally {
    await consumer.disconnect();
    const admin = testKafka('accrual-ingest-test-admin').admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) strings[name] = String(value);
  return strings;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms ${describe()}`);
    await delay(100);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
