import { randomBytes, randomUUID } from 'node:crypto';
import { SqlClient } from '@accrual/database';
import { JsonObject, PostgresEventStore, RecordedEvent } from '@accrual/event-store';
import { Consumer, IHeaders } from 'kafkajs';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithKafka, kafkaBrokers, testKafka } from '../../../test/support/kafka';
import { describeWithPostgres } from '../../../test/support/suites';
import { KafkaRelay, KafkaRelayOptions } from './kafka-relay';
import { RelayLog } from './relay-log';
import { CONTRACT_TOPICS } from './topics';

/**
 * The relay against the real broker and real Postgres. The topic names are fixed by the
 * contract and the broker outlives test runs, so every run makes customer ids (and catalog ids)
 * of its own and the consumer keeps only messages keyed by them.
 */

interface Consumed {
  topic: string;
  partition: number;
  offset: bigint;
  key: string;
  value: string;
  envelope: Record<string, unknown>;
  headers: Record<string, string>;
}

/** One scripted event and where the contract says it must land. */
interface ScriptedEvent {
  streamId: string;
  type: string;
  data: JsonObject;
  topic: string;
  key: string;
}

const FAST_RETRIES = { initialMs: 50, maxMs: 400 };
const WAIT_MS = 60_000;

describeWithKafka('KafkaRelay (real Kafka)', () => {
  describeWithPostgres('KafkaRelay (real Postgres)', () => {
    const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    let databases: TestDatabase[] = [];
    let closers: Array<() => Promise<unknown>> = [];

    afterEach(async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      closers = [];
    });

    afterAll(async () => {
      for (const database of databases) await database.drop().catch(() => undefined);
      databases = [];
    });

    /** A fresh database with an event store on it, closed after the test. */
    async function freshLog(): Promise<{ sql: SqlClient; store: PostgresEventStore }> {
      const { sql, database } = await openTestPostgres('accrual_relay');
      databases.push(database);
      const store = await PostgresEventStore.open(sql, { pollIntervalMs: 50 });
      closers.push(() => sql.close(), () => store.close());
      return { sql, store };
    }

    function relayOn(sql: SqlClient, store: PostgresEventStore, options: Partial<KafkaRelayOptions> = {}): KafkaRelay {
      const relay = new KafkaRelay({
        eventStore: store,
        sql,
        brokers: kafkaBrokers(),
        clientId: `accrual-relay-test-${run}`,
        partitions: 6,
        source: 'urn:accrual:test',
        retryBackoffMs: FAST_RETRIES,
        log: () => undefined,
        ...options,
      });
      closers.push(() => relay.stop());
      return relay;
    }

    async function appendScript(store: PostgresEventStore, script: readonly ScriptedEvent[]): Promise<Map<string, ScriptedEvent>> {
      const byId = new Map<string, ScriptedEvent>();
      for (const step of script) {
        const id = randomUUID();
        const metadata = {
          actor: 'relay-test',
          role: 'operator',
          correlationId: `corr-${run}`,
          causationId: `req-${id}`,
          requestId: `req-${id}`,
          recordedAt: new Date().toISOString(),
          schemaVersion: 1,
        };
        await store.append(step.streamId, [{ id, type: step.type, data: step.data, metadata }], { expectedRevision: 'any' });
        byId.set(id, step);
      }
      return byId;
    }

    /**
     * The whole log once every appended event is readable. Readers see only events below the
     * oldest running transaction of the whole server (test files run in parallel), so right
     * after an append the log may briefly read short.
     */
    async function wholeLog(store: PostgresEventStore, count: number): Promise<RecordedEvent[]> {
      let log: RecordedEvent[] = [];
      await waitUntil(async () => (log = await store.readAll({ maxCount: 1000 })).length >= count, WAIT_MS);
      expect(log).toHaveLength(count);
      return log;
    }

    async function collect(keys: ReadonlySet<string>): Promise<TopicCollector> {
      const collector = new TopicCollector(keys, `accrual-relay-test-${run}-${randomBytes(3).toString('hex')}`);
      closers.push(() => collector.stop());
      await collector.start();
      return collector;
    }

    it('publishes every event on its topic, keyed by customer, as a CloudEvent, in log order per key', async () => {
      const { sql, store } = await freshLog();
      const scenario = billingScenario(`${run}a`);
      const scripted = await appendScript(store, scenario.script);
      const log = await wholeLog(store, scenario.script.length);
      const head = log[log.length - 1].position;

      const relay = relayOn(sql, store);
      await relay.start();
      await relay.waitForCheckpoint(head, WAIT_MS);
      expect(await relay.lagEvents()).toBe(0n);
      expect(relay.status).toBe('publishing');
      const stored = await sql.query<{ position: string }>('select position from relay.checkpoints where name = $1', ['kafka']);
      expect(stored.rows[0].position).toBe(head.toString());

      const collector = await collect(scenario.keys);
      await collector.waitFor((messages) => new Set(messages.map((m) => m.envelope.id)).size >= log.length, WAIT_MS);

      for (const event of log) {
        const step = scripted.get(event.id)!;
        const copies = collector.messages.filter((message) => message.envelope.id === event.id);
        expect(copies).toHaveLength(1);
        const [message] = copies;
        expect({ topic: message.topic, key: message.key }).toEqual({ topic: step.topic, key: step.key });
        expectEnvelope(message, event);
      }
      expectLogOrderPerKey(collector.messages);
    });

    it('resumes after its checkpoint when restarted: nothing again, nothing missing', async () => {
      const { sql, store } = await freshLog();
      const scenario = billingScenario(`${run}b`);
      const half = Math.floor(scenario.script.length / 2);
      await appendScript(store, scenario.script.slice(0, half));
      const firstHalf = await wholeLog(store, half);
      const first = relayOn(sql, store);
      await first.start();
      await first.waitForCheckpoint(firstHalf[half - 1].position, WAIT_MS);
      await first.stop();
      expect(first.status).toBe('stopped');

      await appendScript(store, scenario.script.slice(half));
      const head = (await wholeLog(store, scenario.script.length))[scenario.script.length - 1].position;
      const second = relayOn(sql, store);
      await second.start();
      expect(second.checkpoint).toBe(first.checkpoint);
      await second.waitForCheckpoint(head, WAIT_MS);

      const collector = await collect(scenario.keys);
      await collector.waitFor((messages) => messages.length >= scenario.script.length, WAIT_MS);
      await delay(500); // room for a repeat to show up, if there were one
      const ids = collector.messages.map((message) => message.envelope.id as string);
      expect(ids).toHaveLength(scenario.script.length);
      expect(new Set(ids).size).toBe(scenario.script.length);
      expectLogOrderPerKey(collector.messages);
    });

    it('sends a batch again when its checkpoint write fails: repeats with the same ids, nothing lost', async () => {
      const { sql, store } = await freshLog();
      const scenario = billingScenario(`${run}c`);
      await appendScript(store, scenario.script);
      const log = await wholeLog(store, scenario.script.length);
      const head = log[log.length - 1].position;

      // The 2nd checkpoint write fails, after the broker acknowledged what it covers: as if the
      // relay crashed between acknowledgement and checkpoint.
      const flakySql = failingOnce(sql, /insert into relay\.checkpoints/, 2);
      const entries: Array<{ level: string; message: string }> = [];
      const log_: RelayLog = (level, message) => entries.push({ level, message });
      const relay = relayOn(flakySql, store, { maxBatchSize: 4, log: log_ });
      await relay.start();
      await relay.waitForCheckpoint(head, WAIT_MS);
      expect(flakySql.failures).toBe(1);
      expect(relay.lastError).toBeUndefined();
      expect(entries.some((entry) => entry.level === 'error' && /retrying from the checkpoint/.test(entry.message))).toBe(true);

      // Everything is on the topics now (the checkpoint is at the head): read them to their end.
      const collector = await collect(scenario.keys);
      await collector.waitForEndOffsets(await endOffsets(), WAIT_MS);

      const copiesById = groupBy(collector.messages, (message) => message.envelope.id as string);
      // Nothing lost: every event arrived, and matches its stored event.
      for (const event of log) {
        const copies = copiesById.get(event.id) ?? [];
        expect(copies.length).toBeGreaterThanOrEqual(1);
        expectEnvelope(copies[0], event);
      }
      // The relay started again from the checkpoint written first, and sent again what it had
      // sent after it: at least what the failed write covered, each an identical second copy.
      const restartedFrom = BigInt(flakySql.written[0]);
      const repeated = new Set([...copiesById.entries()].filter(([, copies]) => copies.length > 1).map(([id]) => id));
      const coveredByFailedWrite = log.filter((event) => event.position > restartedFrom && event.position <= BigInt(flakySql.refused[0]));
      expect(coveredByFailedWrite.length).toBeGreaterThan(0);
      for (const event of coveredByFailedWrite) expect(repeated.has(event.id)).toBe(true);
      for (const event of log) {
        const copies = copiesById.get(event.id)!;
        // Before the restart point once, after it at most twice.
        expect({ position: event.position, copies: copies.length <= (event.position > restartedFrom ? 2 : 1) }).toEqual({ position: event.position, copies: true });
        expect(new Set(copies.map((copy) => `${copy.topic}|${copy.key}|${copy.value}`)).size).toBe(1);
      }
      // A key's lane stops at the failure: per key, what came twice is a prefix of its events
      // after the restart point.
      for (const [key, events] of groupBy(log.filter((event) => event.position > restartedFrom), (event) => copiesById.get(event.id)![0].key)) {
        const twice = events.map((event) => repeated.has(event.id));
        expect({ key, twice }).toEqual({ key, twice: [...twice].sort((a, b) => Number(b) - Number(a)) });
      }
      // Dropping repeats by id (what a consumer does) leaves every key's events in log order.
      expectLogOrderPerKey(dropRepeats(collector.messages));
    });

    it('re-sends from a checkpoint rolled back by hand, with the same ids', async () => {
      const { sql, store } = await freshLog();
      const scenario = billingScenario(`${run}d`);
      await appendScript(store, scenario.script);
      const log = await wholeLog(store, scenario.script.length);
      const head = log[log.length - 1].position;
      const first = relayOn(sql, store);
      await first.start();
      await first.waitForCheckpoint(head, WAIT_MS);
      await first.stop();

      const rollbackTo = log[log.length - 6].position;
      await sql.query('update relay.checkpoints set position = $1 where name = $2', [rollbackTo.toString(), 'kafka']);
      const second = relayOn(sql, store);
      await second.start();
      expect(second.checkpoint).toBe(rollbackTo);
      await second.waitForCheckpoint(head, WAIT_MS);

      const collector = await collect(scenario.keys);
      await collector.waitFor((messages) => messages.length >= log.length + 5, WAIT_MS);
      const copiesById = groupBy(collector.messages, (message) => message.envelope.id as string);
      for (const event of log) {
        const copies = copiesById.get(event.id) ?? [];
        expect(copies).toHaveLength(event.position > rollbackTo ? 2 : 1);
        expect(new Set(copies.map((copy) => copy.value)).size).toBe(1);
      }
      expectLogOrderPerKey(dropRepeats(collector.messages));
    });

    it('retries a batch the broker refuses, never skipping it, and still stops promptly', async () => {
      const { sql, store } = await freshLog();
      const customerId = `cus_big_${run}`;
      const usage = (n: number, note = ''): ScriptedEvent => ({
        streamId: `usage-${customerId}`,
        type: 'UsageRecorded',
        data: { id: `u${n}_${run}`, customerId, meterCode: 'api_calls', quantity: '1', timestamp: '2026-01-10T00:00:00Z', properties: { note } },
        topic: CONTRACT_TOPICS.usage,
        key: customerId,
      });
      // Over the broker's message.max.bytes (1 MiB by default): refused as MESSAGE_TOO_LARGE.
      const tooLarge = usage(3, 'x'.repeat(1_200_000));
      await appendScript(store, [usage(1), usage(2), tooLarge, usage(4)]);
      const log = await wholeLog(store, 4);

      const failures: string[] = [];
      const relay = relayOn(sql, store, { log: (level, message, fields) => level === 'error' && failures.push(`${message} ${String(fields?.error)}`) });
      await relay.start();
      await relay.waitForCheckpoint(log[1].position, WAIT_MS);
      await waitUntil(() => failures.filter((line) => /retrying from the checkpoint/.test(line)).length >= 3, WAIT_MS);
      expect(relay.checkpoint).toBe(log[1].position);
      expect(relay.status).toBe('retrying');
      expect(relay.lastError?.message).toMatch(/larger than the max message size|too large/i);
      expect(await relay.lagEvents()).toBe(log[3].position - log[1].position);

      const stopStarted = Date.now();
      await relay.stop();
      expect(Date.now() - stopStarted).toBeLessThan(5_000);
      expect(relay.status).toBe('stopped');
      const stored = await sql.query<{ position: string }>('select position from relay.checkpoints where name = $1', ['kafka']);
      expect(stored.rows[0].position).toBe(log[1].position.toString());
    });
  });
});

/**
 * Three customers and the catalog: a meter and a price, subscriptions, usage, a draft invoice
 * numbered and issued, a payment and a credit note (every contract topic), interleaved across
 * customers as a day of billing would be.
 */
function billingScenario(run: string): { script: ScriptedEvent[]; keys: Set<string> } {
  const [ada, bob, cyd] = ['ada', 'bob', 'cyd'].map((name) => `cus_${name}_${run}`);
  const meter = `api_calls_${run}`;
  const price = `pro_${run}`;
  const customer = (id: string, name: string): ScriptedEvent => ({
    streamId: `customer-${id}`,
    type: 'CustomerCreated',
    data: { id, name, email: `${name.toLowerCase()}@example.com`, currency: 'USD', country: 'US', paymentTermsDays: 30, locale: 'en', taxExempt: false },
    topic: CONTRACT_TOPICS.customers,
    key: id,
  });
  const subscription = (customerId: string): ScriptedEvent => ({
    streamId: `subscription-sub_${customerId}`,
    type: 'SubscriptionCreated',
    data: { id: `sub_${customerId}`, customerId, startDate: '2026-01-01T00:00:00Z', items: [{ priceId: price, quantity: '1' }] },
    topic: CONTRACT_TOPICS.subscriptions,
    key: customerId,
  });
  const usage = (customerId: string, n: number): ScriptedEvent => ({
    streamId: `usage-${customerId}`,
    type: 'UsageRecorded',
    data: { id: `u${n}_${customerId}`, customerId, meterCode: meter, quantity: String(n), timestamp: `2026-01-0${n}T12:00:00Z`, properties: {} },
    topic: CONTRACT_TOPICS.usage,
    key: customerId,
  });
  const invoice = (customerId: string, type: string, data: JsonObject): ScriptedEvent => ({
    streamId: `invoice-inv_${customerId}`,
    type,
    data: { ...data, customerId },
    topic: CONTRACT_TOPICS.invoices,
    key: customerId,
  });
  const script: ScriptedEvent[] = [
    {
      streamId: `meter-${meter}`,
      type: 'MeterDefined',
      data: { code: meter, name: 'API calls', aggregation: 'sum' },
      topic: CONTRACT_TOPICS.catalog,
      key: `meter-${meter}`,
    },
    {
      streamId: `price-${price}`,
      type: 'PriceCreated',
      data: { id: price, product: 'Pro', currency: 'USD', recurring: { interval: 'month', intervalCount: 1, usage: 'licensed' }, model: 'per_unit', unitAmount: '49.00' },
      topic: CONTRACT_TOPICS.catalog,
      key: `price-${price}`,
    },
    customer(ada, 'Ada'),
    customer(bob, 'Bob'),
    subscription(ada),
    usage(ada, 1),
    subscription(bob),
    usage(bob, 1),
    usage(ada, 2),
    customer(cyd, 'Cyd'),
    usage(bob, 2),
    invoice(ada, 'InvoiceCreated', { id: `inv_${ada}`, currency: 'USD', lines: [{ description: 'Pro', quantity: '1', unitAmount: '49.00', amount: '49.00' }], subtotal: '49.00', total: '49.00' }),
    {
      streamId: `subscription-sub_${ada}`,
      type: 'SubscriptionBilled',
      data: { customerId: ada, subscriptionId: `sub_${ada}`, invoiceId: `inv_${ada}`, periodEnd: '2026-02-01T00:00:00Z' },
      topic: CONTRACT_TOPICS.subscriptions,
      key: ada,
    },
    {
      streamId: 'sequence-invoice-numbers',
      type: 'InvoiceNumberAssigned',
      data: { invoiceId: `inv_${ada}`, customerId: ada, sequence: 1, number: 'INV-000001', issuedAt: '2026-02-01T00:00:00Z' },
      topic: CONTRACT_TOPICS.invoices,
      key: ada,
    },
    invoice(ada, 'InvoiceIssued', { invoiceId: `inv_${ada}`, number: 'INV-000001', issuedAt: '2026-02-01T00:00:00Z', dueDate: '2026-03-03' }),
    invoice(cyd, 'InvoiceCreated', { id: `inv_${cyd}`, currency: 'USD', lines: [{ description: 'Setup', quantity: '1', unitAmount: '10.00', amount: '10.00' }], subtotal: '10.00', total: '10.00' }),
    {
      streamId: `payment-pay_${ada}`,
      type: 'PaymentReceived',
      data: { id: `pay_${ada}`, customerId: ada, amount: '49.00', currency: 'USD', receivedAt: '2026-02-10T09:00:00Z', method: 'bank_transfer', reference: 'INV-000001', invoiceId: `inv_${ada}`, allocations: [{ invoiceId: `inv_${ada}`, amount: '49.00' }], creditAmount: '0.00' },
      topic: CONTRACT_TOPICS.payments,
      key: ada,
    },
    usage(ada, 3),
    {
      streamId: `credit-note-cn_${ada}`,
      type: 'CreditNoteIssued',
      data: { id: `cn_${ada}`, invoiceId: `inv_${ada}`, customerId: ada, currency: 'USD', amount: '5.00', amountApplied: '0.00', creditAmount: '5.00', reason: 'goodwill', issuedAt: '2026-02-11T00:00:00Z' },
      topic: CONTRACT_TOPICS.invoices,
      key: ada,
    },
  ];
  return { script, keys: new Set([ada, bob, cyd, `meter-${meter}`, `price-${price}`]) };
}

function expectEnvelope(message: Consumed, event: RecordedEvent): void {
  expect(message.envelope).toEqual({
    specversion: '1.0',
    id: event.id,
    source: 'urn:accrual:test',
    type: `accrual.${event.type}.v1`,
    subject: event.streamId,
    time: event.metadata.recordedAt,
    datacontenttype: 'application/json',
    data: event.data,
    accrualstream: event.streamId,
    accrualposition: event.position.toString(),
    accrualrevision: event.revision.toString(),
    accrualactor: 'relay-test',
    accrualcorrelationid: event.metadata.correlationId,
    accrualcausationid: event.metadata.causationId,
  });
  expect(message.headers).toEqual({
    'content-type': 'application/cloudevents+json; charset=UTF-8',
    ce_id: event.id,
    ce_type: `accrual.${event.type}.v1`,
  });
}

/** Within each topic and key: one partition, and log positions increasing in offset order. */
function expectLogOrderPerKey(messages: readonly Consumed[]): void {
  const byTopicAndKey = groupBy(messages, (message) => `${message.topic}|${message.key}`);
  for (const [topicAndKey, copies] of byTopicAndKey) {
    expect({ topicAndKey, partitions: new Set(copies.map((copy) => copy.partition)).size }).toEqual({ topicAndKey, partitions: 1 });
    const positions = [...copies].sort((a, b) => compare(a.offset, b.offset)).map((copy) => BigInt(copy.envelope.accrualposition as string));
    const sorted = [...positions].sort(compare);
    expect({ topicAndKey, positions }).toEqual({ topicAndKey, positions: sorted });
  }
}

/** What a consumer keeps after dropping repeats by id: each id's first copy, in offset order. */
function dropRepeats(messages: readonly Consumed[]): Consumed[] {
  const seen = new Set<string>();
  const inOffsetOrder = [...messages].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || compare(a.offset, b.offset));
  return inOffsetOrder.filter((message) => {
    const id = message.envelope.id as string;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A `SqlClient` whose `nth` query matching `pattern` throws (once), the rest passing through;
 * it keeps the second parameter (the position) of the matching queries written and refused.
 */
function failingOnce(sql: SqlClient, pattern: RegExp, nth: number): SqlClient & { failures: number; written: string[]; refused: string[] } {
  let matches = 0;
  const wrapper = {
    kind: sql.kind,
    failures: 0,
    written: [] as string[],
    refused: [] as string[],
    query: async <Row>(text: string, params?: readonly unknown[]) => {
      if (!pattern.test(text)) return sql.query<Row>(text, params);
      if (++matches === nth) {
        wrapper.failures += 1;
        wrapper.refused.push(String(params?.[1]));
        throw new Error('checkpoint write failed (injected by the test)');
      }
      const result = await sql.query<Row>(text, params);
      wrapper.written.push(String(params?.[1]));
      return result;
    },
    transaction: <T>(work: Parameters<SqlClient['transaction']>[0]) => sql.transaction(work) as Promise<T>,
    exec: (script: string) => sql.exec(script),
    close: () => sql.close(),
  };
  return wrapper as SqlClient & { failures: number; written: string[]; refused: string[] };
}

/** A consumer of all contract topics, from the beginning, keeping messages with the given keys. */
class TopicCollector {
  readonly messages: Consumed[] = [];
  /** Per `topic|partition`, the offset after the last message consumed, whatever its key. */
  private readonly consumedTo = new Map<string, bigint>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly keys: ReadonlySet<string>,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    const kafka = testKafka('accrual-relay-test-consumer');
    this.consumer = kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: Object.values(CONTRACT_TOPICS), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.consumedTo.set(`${topic}|${partition}`, BigInt(message.offset) + 1n);
        const key = message.key?.toString() ?? '';
        if (!this.keys.has(key)) return;
        const value = message.value?.toString() ?? '';
        this.messages.push({
          topic,
          partition,
          offset: BigInt(message.offset),
          key,
          value,
          envelope: JSON.parse(value) as Record<string, unknown>,
          headers: headerStrings(message.headers),
        });
      },
    });
  }

  async waitFor(done: (messages: readonly Consumed[]) => boolean, timeoutMs: number): Promise<void> {
    await waitUntil(() => done(this.messages), timeoutMs, () => `${this.messages.length} messages so far`);
  }

  /** Until every partition is consumed up to its end offset as given (`endOffsets()`). */
  async waitForEndOffsets(ends: ReadonlyMap<string, bigint>, timeoutMs: number): Promise<void> {
    const behind = (): string[] => [...ends].filter(([partition, end]) => (this.consumedTo.get(partition) ?? 0n) < end).map(([partition]) => partition);
    await waitUntil(() => behind().length === 0, timeoutMs, () => `behind on ${behind().join(', ')}`);
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer === undefined) return;
    await consumer.disconnect();
    const admin = testKafka('accrual-relay-test-admin').admin();
    await admin.connect();
    await admin.deleteGroups([this.groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** The end offset (the next offset to be written) of every partition of the contract topics, by `topic|partition`. */
async function endOffsets(): Promise<Map<string, bigint>> {
  const admin = testKafka('accrual-relay-test-admin').admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of Object.values(CONTRACT_TOPICS)) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}|${partition}`, BigInt(high));
    }
    return ends;
  } finally {
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
    await delay(50);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
