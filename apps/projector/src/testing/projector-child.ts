import 'reflect-metadata';
import { PgSqlClient } from '@accrual/database';
import { createEventStore } from '@accrual/event-store';
import { Projector } from '@accrual/read-models';

/**
 * The projector alone in a child process, for the crash test that kills it (SIGKILL) in the
 * middle of a batch: CRASH_DATABASE_URL, CRASH_SCHEMA, CRASH_BATCH_SIZE.
 */
async function main(): Promise<void> {
  const sql = new PgSqlClient({ connectionString: process.env.CRASH_DATABASE_URL as string, maxConnections: 4, applicationName: 'accrual-crash-child' });
  const store = await createEventStore({ kind: 'postgres', sql });
  const projector = new Projector(store, sql, { schema: process.env.CRASH_SCHEMA, batchSize: Number(process.env.CRASH_BATCH_SIZE) });
  await projector.start();
  process.stdout.write('started\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
