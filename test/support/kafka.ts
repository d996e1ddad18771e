import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describeWithService, nodeProbeSucceeds, REPO_ROOT } from './suites';

/**
 * Tests that need Kafka run against a real broker. Where it is: `KAFKA_BROKERS` (comma-separated
 * host:port list; CI sets it from infra/kafka/start.sh), else the test broker's default address
 * 127.0.0.1:9092. Start one with `bash infra/kafka/start.sh`.
 *
 * A missing broker fails the suite under `CI=true` and skips it otherwise: see
 * `describeWithKafka` below and ./suites for how.
 */
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

export function kafkaBrokers(): string[] {
  const list = (process.env.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean);
  return list.length > 0 ? list : [DEFAULT_KAFKA_BROKERS];
}

/** A kafkajs client on the test brokers that logs nothing (errors reach the tests as rejections). */
export function testKafka(clientId = 'accrual-test'): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** True when a broker answers a metadata request within a few seconds. */
export async function kafkaReachable(timeoutMs = 3000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'accrual-test-probe',
    brokers: kafkaBrokers(),
    connectionTimeout: Math.min(1000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs + 1000);
  });
  const check = (async () => {
    await admin.connect();
    await admin.listTopics();
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([check, deadline]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** The same check in a child process, for deciding at collection time (see ./suites). */
export function kafkaReachableSync(timeoutMs = 3000): boolean {
  const probe = path.join(REPO_ROOT, 'infra', 'kafka', 'probe.cjs');
  return nodeProbeSucceeds([probe, kafkaBrokers().join(','), String(timeoutMs)], {}, timeoutMs + 5000);
}

/**
 * A suite against the real Kafka broker: fails under CI=true when no broker answers, is skipped
 * with a warning otherwise.
 */
export function describeWithKafka(name: string, fn: () => void): void {
  describeWithService(
    {
      name: 'Kafka',
      where: kafkaBrokers().join(','),
      hint: 'start the test broker with `bash infra/kafka/start.sh` or set KAFKA_BROKERS',
      reachableSync: () => kafkaReachableSync(),
      reachable: () => kafkaReachable(),
    },
    name,
    fn,
  );
}
