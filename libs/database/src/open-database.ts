import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgSqlClient } from './pg-client';
import { PgliteSqlClient } from './pglite-client';
import { SqlClient } from './sql-client';

export interface DatabaseOptions {
  /** `DATABASE_URL`; unset means the embedded database. */
  databaseUrl?: string;
  /** `ACCRUAL_DATA_DIR`, where the embedded database lives. */
  dataDir: string;
  maxConnections?: number;
  applicationName?: string;
}

/** Server Postgres when a URL is given, else PGlite persisted under `<dataDir>/pgdata`. */
export async function openDatabase(options: DatabaseOptions): Promise<SqlClient> {
  if (options.databaseUrl) {
    return new PgSqlClient({
      connectionString: options.databaseUrl,
      maxConnections: options.maxConnections,
      applicationName: options.applicationName,
    });
  }
  const directory = resolve(options.dataDir, 'pgdata');
  mkdirSync(directory, { recursive: true });
  return PgliteSqlClient.open(directory);
}
