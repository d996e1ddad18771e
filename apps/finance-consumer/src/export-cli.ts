import { PgSqlClient } from '@accrual/database';
import { EXPORT_USAGE, ExportArgsError, parseExportArgs } from './export-args';
import { exportGeneralLedger } from './gl-export';

/**
 * `npm run finance:export -- --from 2026-01-01 --to 2026-01-31 [--currency USD]`: the daily
 * general-ledger summary as CSV on stdout, the trial-balance check on stderr (one JSON line).
 * Exit 0 balanced, 1 unbalanced or failed, 2 bad arguments. Reads `DATABASE_URL`.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseExportArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ExportArgsError)) throw error;
    console.error(`finance:export: ${error.message}\n${EXPORT_USAGE}`);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('finance:export: DATABASE_URL (the finance consumer’s database) is required');
    return 2;
  }
  const sql = new PgSqlClient({ connectionString: databaseUrl, maxConnections: 1, applicationName: 'accrual-finance-export' });
  try {
    const check = await exportGeneralLedger(sql, args, (chunk) => process.stdout.write(chunk));
    console.error(JSON.stringify({ check: check.ok ? 'balanced' : 'UNBALANCED', ...check }));
    return check.ok ? 0 : 1;
  } finally {
    await sql.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
