import 'reflect-metadata';
import { openDatabase } from '@accrual/database';
import { createEventStore } from '@accrual/event-store';
import { loadConfig } from '@accrual/platform';
import { readModelDigest, rebuildReadModels } from '@accrual/read-models';
import { parseReplayArgs, REPLAY_USAGE, ReplayArgsError } from './replay-args';

/**
 * Replay for auditors: `npm run replay -- --schema audit_2026q1 --until 2026-04-01T00:00:00Z`
 * rebuilds every read model from the log into that schema, as the books stood at the instant,
 * leaving the live read models alone. Exit 0 done, 2 bad arguments, 1 anything else.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseReplayArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ReplayArgsError)) throw error;
    console.error(`replay: ${error.message}\n${REPLAY_USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const sql = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: 4, applicationName: 'accrual-replay' });
  const store = await createEventStore(
    config.eventStore === 'eventstoredb' ? { kind: 'eventstoredb', connectionString: config.eventStoreConnectionString } : { kind: 'postgres', sql },
  );
  try {
    const startedAt = Date.now();
    const result = await rebuildReadModels({ store, sql, schema: args.schema, until: args.until });
    const digest = await readModelDigest(sql, args.schema);
    const rows = await tableRowCounts(sql, Object.keys(digest), args.schema);
    console.log(
      JSON.stringify(
        {
          schema: result.schema,
          until: result.until ?? 'now',
          eventsApplied: result.eventsApplied,
          checkpoint: result.checkpoint.toString(),
          lastRecordedAt: result.lastRecordedAt,
          elapsedMs: Date.now() - startedAt,
          rows,
        },
        null,
        2,
      ),
    );
    return 0;
  } finally {
    await store.close();
    await sql.close();
  }
}

async function tableRowCounts(sql: Awaited<ReturnType<typeof openDatabase>>, tables: string[], schema: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const result = await sql.query<{ count: string }>(`select count(*)::text as count from ${schema}."${table}"`);
    counts[table] = Number(result.rows[0].count);
  }
  return counts;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
