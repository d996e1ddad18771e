import { openDatabase, SqlClient } from '@accrual/database';
import { EventStore } from '@accrual/event-store';
import { createEventStore } from '@accrual/event-store';
import { migrateReadModels, Projector } from '@accrual/read-models';
import { AccrualConfig } from './config';
import { migrateApiTables } from './idempotency-store';
import { migratePersonalDataKeys, PersonalDataVault, PersonalDataView } from './personal-data';
import { parseMasterKey } from './personal-data-crypto';

/**
 * What every app runs on: the database (server Postgres or embedded PGlite), the event store
 * behind its port, and (when this process projects) the projector.
 */
export interface Runtime {
  config: AccrualConfig;
  sql: SqlClient;
  eventStore: EventStore;
  /** Present when this process runs the projector; queries then wait on it directly. */
  projector: Projector | null;
  /** The wall clock, read only at the edges (HTTP, scheduler); the domain never reads it. */
  clock: () => number;
  /** Shows stored events to people: personal fields decrypted, or erased (GDPR). */
  personalData: PersonalDataView;
  /** Seals, opens and erases customers' personal fields (crypto-shredding); also `personalData`. */
  personalDataVault: PersonalDataVault;
}

export const RUNTIME = Symbol('RUNTIME');

export interface RuntimeOptions {
  withProjector: boolean;
  applicationName: string;
}

export async function createRuntime(config: AccrualConfig, options: RuntimeOptions): Promise<Runtime> {
  const sql = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    maxConnections: 20,
    applicationName: options.applicationName,
  });
  const eventStore = await createEventStore(
    config.eventStore === 'eventstoredb'
      ? { kind: 'eventstoredb', connectionString: config.eventStoreConnectionString }
      : { kind: 'postgres', sql },
  );
  await migrateReadModels(sql);
  await migrateApiTables(sql);
  await migratePersonalDataKeys(sql);
  const projector = options.withProjector ? new Projector(eventStore, sql) : null;
  const personalDataVault = new PersonalDataVault(sql, parseMasterKey(config.masterKey));
  return { config, sql, eventStore, projector, clock: () => Date.now(), personalData: personalDataVault, personalDataVault };
}

export async function closeRuntime(runtime: Runtime): Promise<void> {
  await runtime.projector?.stop();
  await runtime.eventStore.close();
  await runtime.sql.close();
}
