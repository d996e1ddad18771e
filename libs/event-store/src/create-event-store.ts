import { PgSqlClient, SqlClient } from '@accrual/database';
import { EventStore } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb';
import { PostgresEventStore } from './postgres';

export type EventStoreConfig =
  | {
      kind: 'postgres';
      /** A client the caller owns (server Postgres or PGlite); the store does not close it. */
      sql?: SqlClient;
      /** Or a server Postgres URL: the store opens a pool of its own and closes it in `close()`. */
      connectionString?: string;
    }
  | {
      kind: 'eventstoredb';
      /** e.g. `esdb://localhost:2113?tls=false`. */
      connectionString?: string;
      sql?: never;
    };

/**
 * The store for a configuration, ready to use: on Postgres its schema is migrated first. Exactly
 * one of `sql` and `connectionString` for Postgres; a `connectionString` for EventStoreDB.
 */
export async function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  if (config.kind === 'eventstoredb') {
    if (!config.connectionString) throw new Error('eventstoredb: a connectionString is required');
    return EventStoreDbEventStore.connect(config.connectionString);
  }
  if (config.sql && config.connectionString) throw new Error('postgres: give sql or connectionString, not both');
  if (config.sql) return PostgresEventStore.open(config.sql);
  if (!config.connectionString) throw new Error('postgres: sql or connectionString is required');
  const sql = new PgSqlClient({ connectionString: config.connectionString, applicationName: 'accrual-event-store' });
  try {
    return await PostgresEventStore.open(sql, { ownsSqlClient: true });
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }
}
