import { PGlite, types } from '@electric-sql/pglite';
import { QueryResult, SqlClient, SqlExecutor } from './sql-client';

/**
 * PGlite is one Postgres backend with one connection. Interleaving a transaction's statements
 * with another caller's would put both in one transaction, so every use of the connection,
 * a single query or a whole transaction, takes its turn through one FIFO lock.
 */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const parsers = {
  [types.INT8]: (value: string) => value,
  [types.NUMERIC]: (value: string) => value,
};

class PgliteExecutor implements SqlExecutor {
  constructor(private readonly db: PGlite) {}

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const result = await this.db.query<Row>(text, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }
}

export class PgliteSqlClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private readonly mutex = new Mutex();
  private readonly executor: PgliteExecutor;

  private constructor(private readonly db: PGlite) {
    this.executor = new PgliteExecutor(db);
  }

  /** `dataDir` undefined keeps the database in memory (tests); otherwise it persists there. */
  static async open(dataDir?: string): Promise<PgliteSqlClient> {
    const db = new PGlite(dataDir, { parsers });
    await db.waitReady;
    return new PgliteSqlClient(db);
  }

  query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.mutex.run(() => this.executor.query<Row>(text, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      await this.db.query('BEGIN');
      try {
        const result = await work(this.executor);
        await this.db.query('COMMIT');
        return result;
      } catch (error) {
        await this.db.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  exec(script: string): Promise<void> {
    return this.mutex.run(async () => {
      await this.db.exec(script);
    });
  }

  close(): Promise<void> {
    return this.mutex.run(() => this.db.close());
  }
}
