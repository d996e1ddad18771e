import 'reflect-metadata';
import { openDatabase } from '@accrual/database';
import { createEventStore } from '@accrual/event-store';
import { loadConfig, stopOnSignals } from '@accrual/platform';
import { KafkaRelay } from './kafka-relay';
import { jsonLineLog } from './relay-log';

/**
 * The Kafka relay alone (production topology): `node dist/apps/relay/src/main.js`.
 * Publishes the log to the contract topics (CONTRACT §7); see docs/kafka.md.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.kafkaBrokers.length === 0) {
    jsonLineLog('info', 'KAFKA_BROKERS is unset: nothing is published to Kafka; the relay exits');
    return;
  }
  if (!config.databaseUrl) {
    // PGlite is one process's database: another process on the same directory must not run.
    jsonLineLog('warn', `no DATABASE_URL: the relay opens the embedded database in ${config.dataDir}; run nothing else on it`);
  }
  const sql = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    maxConnections: 4,
    applicationName: 'accrual-relay',
  });
  const eventStore = await createEventStore(
    config.eventStore === 'eventstoredb'
      ? { kind: 'eventstoredb', connectionString: config.eventStoreConnectionString }
      : { kind: 'postgres', sql },
  );
  const relay = new KafkaRelay({
    eventStore,
    sql,
    brokers: config.kafkaBrokers,
    clientId: 'accrual-relay',
    partitions: config.kafkaTopicPartitions,
  });
  await relay.start();
  stopOnSignals(async (signal) => {
    jsonLineLog('info', `${signal}: stopping the relay`);
    await relay.stop();
    await eventStore.close();
    await sql.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
