import { Pool, PoolClient, types } from 'pg';
import { QueryResult, SqlClient, SqlExecutor } from './sql-client';

// int8 and numeric stay strings: money and log positions must never pass through a JS number.
types.setTypeParser(types.builtins.INT8, (value: string) => value);
types.setTypeParser(types.builtins.NUMERIC, (value: string) => value);

export interface PgClientOptions {
  connectionString: string;
  /** Upper bound on pooled connections; a limit on everything. */
  maxConnections?: number;
  applicationName?: string;
}

class PgExecutor implements SqlExecutor {
  constructor(private readonly client: PoolClient) {}

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const result = await this.client.query(text, params as unknown[]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }
}

export class PgSqlClient implements SqlClient {
  readonly kind = 'postgres' as const;
  readonly pool: Pool;

  constructor(options: PgClientOptions) {
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? 'accrual',
    });
    // An idle client that errors (server restart) must not crash the process; the pool drops it.
    this.pool.on('error', () => undefined);
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const result = await this.pool.query(text, params as unknown[]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(new PgExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A dedicated connection, for work that must hold one (advisory locks, COPY, LISTEN). */
  async withConnection<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
