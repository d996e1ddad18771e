import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig, stopOnSignals } from '@accrual/platform';
import { sealIntervalMsFrom, startPeriodicSeals } from '@accrual/event-store';
import { createApiApp } from '../../api/src/create-api-app';
import { BillingRunService } from '../../api/src/billing-runs/run-billing/billing-run.service';
import { KafkaRelay } from '../../relay/src';
import { UsageRecorder } from '../../api/src/usage/record-usage/record-usage.command';
import { loadIngestSettings, UsageIngest } from '../../usage-ingest/src';
import { BillingScheduler } from './scheduler';

/**
 * `npm start`: everything in one process on the embedded default (CONTRACT §1): the API, the
 * projector, the Kafka relay when KAFKA_BROKERS is set, and the billing scheduler.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual' });
  await runtime.projector?.start();
  // Seals bind every stream's head to a log position (tamper evidence, docs/event-store.md).
  const seals = startPeriodicSeals(runtime.eventStore, sealIntervalMsFrom(process.env));
  const relay = config.kafkaBrokers.length > 0
    ? new KafkaRelay({
        eventStore: runtime.eventStore,
        sql: runtime.sql,
        brokers: config.kafkaBrokers,
        clientId: 'accrual-relay',
        partitions: config.kafkaTopicPartitions,
      })
    : null;
  await relay?.start();
  const ingestSettings = loadIngestSettings();
  const ingest = config.kafkaBrokers.length > 0 && ingestSettings.enabled
    ? new UsageIngest({
        recorder: new UsageRecorder(runtime),
        brokers: config.kafkaBrokers,
        actor: ingestSettings.actor,
        groupId: ingestSettings.groupId,
        partitions: config.kafkaTopicPartitions,
      })
    : null;
  ingest?.startInBackground();
  const app = await createApiApp(runtime);
  await app.listen(config.port);
  const scheduler = config.scheduler ? new BillingScheduler(app.get(BillingRunService), runtime.clock) : null;
  scheduler?.start();
  announce(config.port, config, relay !== null, ingest !== null);
  stopOnSignals(async () => {
    scheduler?.stop();
    await app.close();
    await ingest?.stop();
    await relay?.stop();
    await seals.stop();
    await closeRuntime(runtime);
  });
}

function announce(port: number, config: ReturnType<typeof loadConfig>, relaying: boolean, ingesting: boolean): void {
  const lines = [
    `Accrual is listening on http://localhost:${port}`,
    `  database:    ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
    `  event store: ${config.eventStore}`,
    `  kafka relay: ${relaying ? config.kafkaBrokers.join(',') : 'off (KAFKA_BROKERS unset)'}`,
    `  kafka usage ingest: ${ingesting ? 'accrual.usage-ingest.v1' : 'off (KAFKA_BROKERS unset or ACCRUAL_KAFKA_INGEST=off)'}`,
    `  scheduler:   ${config.scheduler ? 'on' : 'off'}`,
  ];
  if (config.apiKeyGenerated) {
    const key = config.apiKeys[0];
    lines.push(`  development API key (admin, made for this run; set ACCRUAL_API_KEYS to choose your own):`);
    lines.push(`    ${key.secret}`);
    lines.push(`  try: curl -H "Authorization: Bearer ${key.secret}" http://localhost:${port}/v1/invoices`);
  }
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
