import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithPostgres } from '../../../test/support/suites';
import { RelayCheckpoints } from './relay-checkpoints';

/** The checkpoint table on both databases the relay may sit on: server Postgres and PGlite. */
function checkpointBehaviour(open: () => Promise<{ sql: SqlClient; cleanUp: () => Promise<void> }>): void {
  let sql: SqlClient;
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    ({ sql, cleanUp } = await open());
  });

  afterAll(async () => {
    await cleanUp?.();
  });

  it('migrates twice (and concurrently) without complaint, and starts at 0', async () => {
    const checkpoints = new RelayCheckpoints(sql, 'kafka');
    await Promise.all([checkpoints.migrate(), checkpoints.migrate()]);
    await checkpoints.migrate();
    expect(await checkpoints.load()).toBe(0n);
  });

  it('keeps one position per relay name, beyond 2^53, never moving backwards', async () => {
    const kafka = new RelayCheckpoints(sql, 'kafka');
    const other = new RelayCheckpoints(sql, 'kafka-dr');
    await kafka.migrate();
    await kafka.save(9_007_199_254_740_993n);
    await kafka.save(12n);
    await other.save(7n);
    expect(await kafka.load()).toBe(9_007_199_254_740_993n);
    expect(await other.load()).toBe(7n);
  });
}

// PGlite loads its WebAssembly by dynamic import, which jest allows only with
// --experimental-vm-modules (`npm test` sets it in NODE_OPTIONS; a bare `npx jest` does not).
const vmModules = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('--experimental-vm-modules');
if (!vmModules) console.warn('Skipping "relay checkpoints (PGlite)": run through `npm test` (NODE_OPTIONS=--experimental-vm-modules).');

(vmModules ? describe : describe.skip)('relay checkpoints (PGlite)', () => {
  checkpointBehaviour(async () => {
    const sql = await PgliteSqlClient.open();
    return { sql, cleanUp: () => sql.close() };
  });
});

describeWithPostgres('relay checkpoints (Postgres)', () => {
  checkpointBehaviour(async () => {
    const { sql, database }: { sql: SqlClient; database: TestDatabase } = await openTestPostgres('accrual_relay_cp');
    return {
      sql,
      cleanUp: async () => {
        await sql.close();
        await database.drop();
      },
    };
  });
});
