import { SqlExecutor } from '@accrual/database';
import { CHECKPOINT_NAME } from '../projector';
import { assertSchemaName } from '../schema';

/** Table name → md5 of its rows in primary-key order (null for an empty table). */
export type ReadModelDigest = Record<string, string | null>;

/** Upper bound on the tables of one schema a digest covers. */
const DIGEST_TABLES_MAX = 500;

/**
 * A fingerprint of every table of `schema`: md5 over its rows as text, in primary-key order, so
 * two schemas built from the same events compare equal table by table. Of the checkpoints table
 * only the read models' own row counts: other processes may keep rows of their own there.
 */
export async function readModelDigest(sql: SqlExecutor, schema: string): Promise<ReadModelDigest> {
  assertSchemaName(schema);
  const tables = await tablesWithKeys(sql, schema);
  const digest: ReadModelDigest = {};
  for (const { table, keys } of tables) {
    const where = table === 'checkpoints' ? `where t.projection = '${CHECKPOINT_NAME}'` : '';
    const order = keys.length > 0 ? keys.map((key) => `t."${key}"`).join(', ') : 't::text';
    const result = await sql.query<{ md5: string | null }>(
      `select md5(string_agg(t::text, '|' order by ${order})) as md5 from ${schema}."${table}" t ${where}`,
    );
    digest[table] = result.rows[0]?.md5 ?? null;
  }
  return digest;
}

async function tablesWithKeys(sql: SqlExecutor, schema: string): Promise<{ table: string; keys: string[] }[]> {
  const result = await sql.query<{ table_name: string; keys: string[] | null }>(
    `select c.relname as table_name,
            (select array_agg(a.attname::text order by k.ordinality)
               from pg_index i
               cross join lateral unnest(i.indkey) with ordinality as k(attnum, ordinality)
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as keys
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p')
      order by c.relname
      limit ${DIGEST_TABLES_MAX}`,
    [schema],
  );
  return result.rows.map((row) => ({ table: row.table_name, keys: row.keys ?? [] }));
}
