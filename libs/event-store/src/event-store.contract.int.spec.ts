import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { ADMIN_DATABASE_URL, isCi, openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { NewEvent } from './event-store.port';
import { EventStoreDbEventStore } from './eventstoredb';
import { PostgresEventStore } from './postgres';
import { ContractSubject, defineEventStoreContract, EventStoreContractFactory, LateAppend } from './testing/event-store.contract';

/**
 * The event-store contract, once per adapter:
 * - Postgres (server): always; a fresh database for this file. Unreachable Postgres fails the
 *   suite under CI=true and skips it otherwise.
 * - PGlite (embedded, in memory): always.
 * - EventStoreDB: only when EVENTSTORE_CONNECTION_STRING is set (no server runs in CI).
 */

const postgresFactory: EventStoreContractFactory = {
  name: 'postgres',
  refusesReusedIds: true,
  appendNewReportsDuplicates: true,
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

/**
 * Jest defines tests synchronously, so reachability is probed synchronously, in a child process,
 * before the suites are declared.
 */
function postgresReachableNow(): boolean {
  const probe = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query('select 1')).then(() => client.end())
      .then(() => process.exit(0), () => process.exit(1));`;
  const outcome = spawnSync(process.execPath, ['-e', probe], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...process.env, PROBE_URL: ADMIN_DATABASE_URL },
    timeout: 10_000,
  });
  return outcome.status === 0;
}

const factories: EventStoreContractFactory[] = [pgliteFactory];

if (postgresReachableNow()) {
  factories.unshift(postgresFactory);
} else if (isCi()) {
  describe('event store contract: postgres', () => {
    it('needs Postgres, which CI must provide', () => {
      throw new Error(`Postgres is not reachable at ${ADMIN_DATABASE_URL} and CI=true: failing, not skipping`);
    });
  });
} else {
  console.warn(`event store contract: Postgres not reachable at ${ADMIN_DATABASE_URL}; its suite is skipped`);
  describe.skip('event store contract: postgres (not reachable)', () => defineEventStoreContract(postgresFactory));
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
