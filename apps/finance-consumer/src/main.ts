import 'reflect-metadata';
import { PgSqlClient } from '@accrual/database';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { FinanceConsumerModule } from './finance-consumer.module';
import { migrateFinanceSchema } from './finance-schema';
import { DEFAULT_FINANCE_CONSUMER_GROUP_ID } from './finance-topics';
import { financeConsumerKafkaOptions } from './kafka-options';

/**
 * The reference finance consumer: `npm run start:finance-consumer` with `KAFKA_BROKERS`,
 * `DATABASE_URL` (its own database; the schema `finance_consumer` is created there) and
 * optionally `FINANCE_CONSUMER_GROUP_ID` (default `accrual-finance-consumer`).
 * See docs/finance-consumer.md.
 */
async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean);
  const databaseUrl = process.env.DATABASE_URL;
  if (brokers.length === 0 || !databaseUrl) {
    console.error('finance-consumer: KAFKA_BROKERS and DATABASE_URL are required');
    process.exitCode = 2;
    return;
  }
  const groupId = process.env.FINANCE_CONSUMER_GROUP_ID || DEFAULT_FINANCE_CONSUMER_GROUP_ID;
  const sql = new PgSqlClient({ connectionString: databaseUrl, maxConnections: 4, applicationName: 'accrual-finance-consumer' });
  await migrateFinanceSchema(sql);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    FinanceConsumerModule.register({ sql }),
    financeConsumerKafkaOptions({ brokers, groupId }),
  );
  await app.listen();
  let stopping: Promise<void> | undefined;
  // Leaving the group first lets its partitions move to another instance at once; what was
  // applied but not yet committed is redelivered there and dropped by id.
  const stop = (): void => {
    stopping ??= (async () => {
      await app.close();
      await sql.close();
      process.exit(0);
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
