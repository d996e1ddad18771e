import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig, stopOnSignals } from '@accrual/platform';
import { UsageRecorder } from '../../api/src/usage/record-usage/record-usage.command';
import { jsonLineLog } from '../../relay/src/relay-log';
import { loadIngestSettings } from './ingest-settings';
import { UsageIngest } from './usage-ingest';

/**
 * Usage ingestion alone (production topology): `node dist/apps/usage-ingest/src/main.js`.
 * Consumes `accrual.usage-ingest.v1` into the log; run as many as the topic has partitions,
 * with the same group. See docs/kafka.md.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadIngestSettings();
  if (config.kafkaBrokers.length === 0) {
    jsonLineLog('info', 'KAFKA_BROKERS is unset: no usage is consumed from Kafka; the ingest exits');
    return;
  }
  if (!config.databaseUrl) {
    // PGlite is one process's database: another process on the same directory must not run.
    jsonLineLog('warn', `no DATABASE_URL: the ingest opens the embedded database in ${config.dataDir}; run nothing else on it`);
  }
  const runtime = await createRuntime(config, { withProjector: false, applicationName: 'accrual-usage-ingest' });
  const ingest = new UsageIngest({
    recorder: new UsageRecorder(runtime),
    brokers: config.kafkaBrokers,
    actor: settings.actor,
    groupId: settings.groupId,
    partitions: config.kafkaTopicPartitions,
  });
  ingest.startInBackground();
  stopOnSignals(async (signal) => {
    jsonLineLog('info', `${signal}: stopping the usage ingest`);
    await ingest.stop();
    await closeRuntime(runtime);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
