import { randomBytes } from 'node:crypto';
import { Admin, Consumer, Partitioners, Producer } from 'kafkajs';
import { describeWithKafka, testKafka } from '../support/kafka';

/**
 * The test broker itself (infra/kafka/start.sh): a 3-partition topic, 100 keyed messages in, the
 * same 100 out through a consumer group, each key's messages in the order they were produced.
 */
describeWithKafka('Kafka test broker', () => {
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `accrual-it-broker-${suffix}`;
  const groupId = `accrual-it-broker-${suffix}`;
  const keys = Array.from({ length: 10 }, (_, i) => `customer-${i}`);
  const total = 100;

  const kafka = testKafka('accrual-it-broker');
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('has the topic with 3 partitions', async () => {
    const metadata = await admin!.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('delivers 100 keyed messages through a consumer group, in order per key', async () => {
    // Message i belongs to key i % 10 and is that key's (i / 10)th message.
    const sent = Array.from({ length: total }, (_, i) => ({ key: keys[i % keys.length], seq: Math.floor(i / keys.length) }));

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Several sends, so order across batches is exercised too, not just within one batch.
    for (let start = 0; start < total; start += 25) {
      await producer.send({
        topic,
        acks: -1,
        messages: sent.slice(start, start + 25).map(({ key, seq }) => ({ key, value: JSON.stringify({ key, seq }) })),
      });
    }

    const offsets = await admin!.fetchTopicOffsets(topic);
    const perPartition = offsets.map((o) => Number(o.high) - Number(o.low));
    expect(perPartition.reduce((a, b) => a + b, 0)).toBe(total);
    // Ten keys over three partitions: the keys are spread, so per-key order is not trivially
    // the order of a single partition.
    expect(perPartition.filter((n) => n > 0).length).toBeGreaterThan(1);

    const received: { key: string; seq: number; partition: number }[] = [];
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolveAll!: () => void;
    const allReceived = new Promise<void>((resolve) => (resolveAll = resolve));
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const body = JSON.parse(message.value!.toString()) as { key: string; seq: number };
        expect(message.key?.toString()).toBe(body.key);
        received.push({ ...body, partition });
        if (received.length >= total) resolveAll();
      },
    });

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`received ${received.length} of ${total} messages in 60 s`)), 60_000);
    });
    try {
      await Promise.race([allReceived, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    await consumer.stop();

    expect(received).toHaveLength(total);
    for (const key of keys) {
      const ofKey = received.filter((m) => m.key === key);
      expect(ofKey.map((m) => m.seq)).toEqual(Array.from({ length: total / keys.length }, (_, i) => i));
      // A key lives on exactly one partition.
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
    }
  });
});
