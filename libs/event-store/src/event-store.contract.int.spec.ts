import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { NewEvent } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb';
import { PostgresEventStore } from './postgres';
import { ContractSubject, defineEventStoreContract, EventStoreContractFactory, LateAppend } from './testing/event-store.contract';
import { describePgliteUnavailable, pgliteLoadable } from './testing/pglite-availability';
import { describePostgresUnavailable, postgresReachableNow } from './testing/postgres-availability';

/**
 * The event-store contract, once per adapter:
 * - Postgres (server): always; a fresh database for this file. Unreachable Postgres fails the
 *   suite under CI=true and skips it otherwise (`testing/postgres-availability.ts`).
 * - PGlite (embedded, in memory): always (it needs `npm test`'s --experimental-vm-modules; without
 *   it, a failing test says so: `testing/pglite-availability.ts`).
 * - EventStoreDB: only when EVENTSTORE_CONNECTION_STRING is set (no server runs in CI).
 */

const postgresFactory: EventStoreContractFactory = {
  name: 'postgres',
  refusesReusedIds: true,
  appendNewReportsDuplicates: true,
  appendNewManyAtomic: true,
  keepsHashChain: true,
  readsForReplay: true,
  open: async () => {
    const { sql, database } = await openTestPostgres('accrual_event_store');
    const store = await PostgresEventStore.open(sql);
    return {
      store,
      beginLateAppend: (streamId, events) => beginLateAppend(sql, store, streamId, events),
      close: () => closeAll(store, sql, database),
    };
  },
};

const pgliteFactory: EventStoreContractFactory = {
  name: 'pglite',
  refusesReusedIds: true,
  appendNewReportsDuplicates: true,
  appendNewManyAtomic: true,
  keepsHashChain: true,
  readsForReplay: true,
  lateAppendUnavailableReason:
    'PGlite has one connection: an open transaction blocks every other statement, so no append can commit past it',
  open: async () => {
    const sql = await PgliteSqlClient.open();
    const store = await PostgresEventStore.open(sql);
    return { store, close: () => closeAll(store, sql) };
  },
};

const eventStoreDbConnectionString = process.env.EVENTSTORE_CONNECTION_STRING;

const eventStoreDbFactory: EventStoreContractFactory = {
  name: 'eventstoredb',
  refusesReusedIds: false,
  appendNewReportsDuplicates: false,
  appendNewManyAtomic: false,
  keepsHashChain: false,
  readsForReplay: false,
  lateAppendUnavailableReason: 'EventStoreDB acknowledges an append only once committed; no open append to stage',
  open: async (): Promise<ContractSubject> => {
    const store = EventStoreDbEventStore.connect(eventStoreDbConnectionString ?? '');
    return { store, close: () => store.close() };
  },
};

/** The gap case's late committer: an append inside a transaction that stays open until `commit()`. */
async function beginLateAppend(
  sql: SqlClient,
  store: PostgresEventStore,
  streamId: string,
  events: readonly NewEvent[],
): Promise<LateAppend> {
  let releaseCommit!: () => void;
  const commitAllowed = new Promise<void>((resolveCommit) => (releaseCommit = resolveCommit));
  let reportAppended!: (result: LateAppend['result']) => void;
  const appended = new Promise<LateAppend['result']>((resolveAppended) => (reportAppended = resolveAppended));
  const transaction = sql.transaction(async (tx) => {
    reportAppended(await store.appendWithin(tx, streamId, events, { expectedRevision: 'no_stream' }));
    await commitAllowed;
  });
  const result = await Promise.race([appended, transaction.then(() => Promise.reject(new Error('committed early')))]);
  return {
    result,
    commit: async () => {
      releaseCommit();
      await transaction;
    },
  };
}

async function closeAll(store: PostgresEventStore, sql: SqlClient, database?: TestDatabase): Promise<void> {
  await store.close();
  await sql.close();
  await database?.drop();
}

const factories: EventStoreContractFactory[] = [];
if (postgresReachableNow()) {
  factories.push(postgresFactory);
} else {
  describePostgresUnavailable('event store contract: postgres', () => defineEventStoreContract(postgresFactory));
}
if (pgliteLoadable()) {
  factories.push(pgliteFactory);
} else {
  describePgliteUnavailable('event store contract: pglite');
}
if (eventStoreDbConnectionString) {
  factories.push(eventStoreDbFactory);
} else {
  console.info('event store contract: EVENTSTORE_CONNECTION_STRING is not set; the EventStoreDB suite is not defined');
}

describe.each(factories.map((factory) => [factory.name, factory] as const))(
  'event store contract: %s',
  (_name, factory) => defineEventStoreContract(factory),
);
