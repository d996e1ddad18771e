import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ADMIN_DATABASE_URL, isCi } from '../../../../test/support/postgres';

/**
 * Jest defines tests synchronously, so whether Postgres is reachable is probed synchronously, in a
 * child process, before suites are declared.
 */
export function postgresReachableNow(): boolean {
  const probe = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query('select 1')).then(() => client.end())
      .then(() => process.exit(0), () => process.exit(1));`;
  const outcome = spawnSync(process.execPath, ['-e', probe], {
    cwd: resolve(__dirname, '../../../..'),
    env: { ...process.env, PROBE_URL: ADMIN_DATABASE_URL },
    timeout: 10_000,
  });
  return outcome.status === 0;
}

/**
 * What stands in for a Postgres suite when Postgres is unreachable: under CI=true a failing test
 * that says why (a missing Postgres must fail CI, never skip); elsewhere the suite, skipped, and a note.
 */
export function describePostgresUnavailable(name: string, suite: () => void): void {
  if (isCi()) {
    describe(name, () => {
      it('needs Postgres, which CI must provide', () => {
        throw new Error(`Postgres is not reachable at ${ADMIN_DATABASE_URL} and CI=true: failing, not skipping`);
      });
    });
    return;
  }
  console.warn(`${name}: Postgres not reachable at ${ADMIN_DATABASE_URL}; skipped`);
  describe.skip(`${name} (Postgres not reachable)`, suite);
}

/** Declares `suite` when Postgres is reachable, else `describePostgresUnavailable`. */
export function describeWithPostgres(name: string, suite: () => void): void {
  if (postgresReachableNow()) describe(name, suite);
  else describePostgresUnavailable(name, suite);
}
