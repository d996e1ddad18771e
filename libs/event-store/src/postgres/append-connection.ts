import { PoolClient } from 'pg';
import { PgSqlClient, QueryResult, SqlClient, SqlExecutor } from '@accrual/database';
import { ORDERING_LOCK_KEY } from './schema';

/**
 * Where an append's statement runs. On PGlite, the client itself: one session, so a leaked
 * session lock could only be re-entered by that same session, never block it. On server Postgres,
 * a pooled connection held for the statement, so that after a failed statement we can make sure
 * the connection does not go back to the pool holding the ordering lock.
 */
export type RunAppend = <T>(work: (executor: SqlExecutor) => Promise<T>) => Promise<T>;

const ORDERING_LOCK_RELEASES_MAX = 8;

export function appendRunner(sql: SqlClient): RunAppend {
  if (sql instanceof PgSqlClient) return (work) => runOnPooledConnection(sql, work);
  return (work) => work(sql);
}

class TrackingExecutor implements SqlExecutor {
  statementFailed = false;

  constructor(private readonly client: PoolClient) {}

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    try {
      const result = await this.client.query(text, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      this.statementFailed = true;
      throw error;
    }
  }
}

async function runOnPooledConnection<T>(sql: PgSqlClient, work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
  const client = await sql.pool.connect();
  const executor = new TrackingExecutor(client);
  let discardReason: Error | undefined;
  try {
    return await work(executor);
  } catch (error) {
    if (executor.statementFailed) discardReason = await releaseOrderingLock(client);
    throw error;
  } finally {
    // Releasing with an error makes the pool destroy the connection, which ends its session and
    // with it every session-level lock it might still hold.
    client.release(discardReason);
  }
}

/**
 * The append function releases the ordering lock itself, even on error. This is the second line
 * of defence: if the session still holds it, release it; if we cannot tell, say so, and the
 * caller drops the connection.
 */
async function releaseOrderingLock(client: PoolClient): Promise<Error | undefined> {
  try {
    // Session locks nest; release until pg_locks no longer lists it, within a bound.
    for (let attempt = 0; attempt < ORDERING_LOCK_RELEASES_MAX; attempt++) {
      const held = await client.query<{ held: boolean }>(
        `select exists (select 1 from pg_locks
           where locktype = 'advisory' and pid = pg_backend_pid() and granted
             and classid = 0 and objid = $1 and objsubid = 1) as held`,
        [ORDERING_LOCK_KEY],
      );
      if (!held.rows[0]?.held) return undefined;
      await client.query('select pg_advisory_unlock($1::bigint)', [ORDERING_LOCK_KEY]);
    }
    return new Error('event store: the ordering lock is still held after releasing it');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
