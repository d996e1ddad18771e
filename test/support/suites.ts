import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Suites that need a running service (Postgres, Kafka) declare it:
 *
 *   describeWithPostgres('invoice repository', () => { beforeAll(...); it(...); });
 *
 * What happens when the service is missing:
 * - `CI=true` (or `CI=1`): the suite FAILS. Its first hook throws "<service> is not reachable at
 *   <where>: <how to start it>", so every test in it fails with that message; nothing is skipped
 *   silently in CI.
 * - otherwise: the suite is SKIPPED (jest `describe.skip`, counted as skipped, never as passed)
 *   and a console warning says why.
 *
 * How, given that jest `describe` callbacks are synchronous (nothing async can decide whether to
 * declare the tests): the helper asks once, synchronously, while jest collects the file, by
 * running a tiny probe in a child node process (`spawnSync`, a few hundred ms). Reachable, or CI:
 * a normal `describe`, whose first `beforeAll` re-checks with the async in-process check
 * (`postgresReachable()`, `kafkaReachable()`) and throws the clear message when the service is
 * gone. Unreachable outside CI: `describe.skip`. Checks in a `beforeAll` alone could not skip:
 * jest has no way to skip a test once the run has started, and tests that "return early" would be
 * counted as passed.
 *
 * The suite's own hooks come after the check, so a suite never sees a missing service.
 */

export interface RequiredService {
  /** "Postgres", "Kafka". */
  name: string;
  /** Where it was looked for, for the message (a URL without password, host:port...). */
  where: string;
  /** How to get it running, for the message. */
  hint: string;
  /** Synchronous check used while jest collects the file: true when the service answers. */
  reachableSync(): boolean;
  /** The same check, asynchronous and in-process, run in the suite's first `beforeAll`. */
  reachable(): Promise<boolean>;
}

/**
 * Same rule as `isCi()` in ./postgres; not imported from there so that Kafka-only suites do not
 * load the database library.
 */
export function isCiRun(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs `node <args>` from the repo root and says whether it exited 0 within `timeoutMs`. For the
 * synchronous reachability checks.
 */
export function nodeProbeSucceeds(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): boolean {
  const result = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
    timeout: timeoutMs,
  });
  return result.status === 0;
}

function unreachableMessage(service: RequiredService): string {
  return `${service.name} is not reachable at ${service.where}: ${service.hint}`;
}

export function describeWithService(service: RequiredService, name: string, fn: () => void): void {
  if (!isCiRun() && !service.reachableSync()) {
    console.warn(`Skipping "${name}": ${unreachableMessage(service)} (with CI=true this fails instead).`);
    describe.skip(name, fn);
    return;
  }
  describe(name, () => {
    beforeAll(async () => {
      if (!(await service.reachable())) {
        throw new Error(`${unreachableMessage(service)}${isCiRun() ? ' (CI=true: a missing service fails the suite)' : ''}`);
      }
    });
    fn();
  });
}

/** Strips a password from a connection URL for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

// The same check as `postgresReachable()` in ./postgres (connect, `select 1`, 3 s connect
// timeout), as a script for a child process.
const POSTGRES_PROBE = `
const { Client } = require('pg');
const client = new Client({ connectionString: process.env.ACCRUAL_PROBE_URL, connectionTimeoutMillis: 3000 });
client.connect()
  .then(() => client.query('select 1'))
  .then(() => client.end().finally(() => process.exit(0)), () => process.exit(1));
`;

/**
 * A suite against the real Postgres (see ./postgres for where it is). ./postgres is loaded on
 * first use, not at import, so that Kafka-only suites importing this file do not load the
 * database library.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const postgres = require('./postgres') as typeof import('./postgres');
  describeWithService(
    {
      name: 'Postgres',
      where: redactUrl(postgres.ADMIN_DATABASE_URL),
      hint: 'start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL',
      reachableSync: () => nodeProbeSucceeds(['-e', POSTGRES_PROBE], { ACCRUAL_PROBE_URL: postgres.ADMIN_DATABASE_URL }),
      reachable: () => postgres.postgresReachable(),
    },
    name,
    fn,
  );
}
