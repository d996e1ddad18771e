/**
 * The one seam between Accrual and SQL. Server Postgres (`pg`) and embedded Postgres (PGlite)
 * both sit behind it, so every adapter, projection and query runs the same SQL on both.
 *
 * Value conventions, identical on both drivers (the drivers differ by default, so we pin them):
 * - `int8`/`bigint` and `numeric` come back as decimal strings (never JS numbers);
 * - `jsonb` comes back parsed; `timestamptz` comes back as a `Date`.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export type DatabaseKind = 'postgres' | 'pglite';

export interface SqlClient extends SqlExecutor {
  readonly kind: DatabaseKind;
  /** Runs `work` in one transaction on one connection: COMMIT on success, ROLLBACK on throw. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}
