import 'reflect-metadata';
import { closeRuntime, createRuntime, loadConfig } from '@accrual/platform';
import { createApiApp } from '../../api/src/create-api-app';
import { BillingRunService } from '../../api/src/billing-runs/run-billing/billing-run.service';
import { KafkaRelay } from '../../relay/src';
import { BillingScheduler } from './scheduler';

/**
 * `npm start`: everything in one process on the embedded default (CONTRACT §1): the API, the
 * projector, the Kafka relay when KAFKA_BROKERS is set, and the billing scheduler.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual' });
  await runtime.projector?.start();
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
  const app = await createApiApp(runtime);
  await app.listen(config.port);
  const scheduler = config.scheduler ? new BillingScheduler(app.get(BillingRunService), runtime.clock) : null;
  scheduler?.start();
  announce(config.port, config, relay !== null);
  const stop = async () => {
    scheduler?.stop();
    await app.close();
    await relay?.stop();
    await closeRuntime(runtime);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function announce(port: number, config: ReturnType<typeof loadConfig>, relaying: boolean): void {
  const lines = [
    `Accrual is listening on http://localhost:${port}`,
    `  database:    ${config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`,
    `  event store: ${config.eventStore}`,
    `  kafka relay: ${relaying ? config.kafkaBrokers.join(',') : 'off (KAFKA_BROKERS unset)'}`,
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
