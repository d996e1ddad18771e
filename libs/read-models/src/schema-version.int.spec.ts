import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { describeWithPostgres } from '../../../test/support/suites';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { migrateReadModels, READ_MODEL_VERSION } from './schema';

const SCHEMA = 'read_models_version_test';

async function checkpointRows(sql: SqlClient): Promise<number> {
  const result = await sql.query<{ count: string }>(`select count(*)::text as count from ${SCHEMA}.checkpoints`);
  return Number(result.rows[0].count);
}

describeWithPostgres('read-model versions: a schema of another version is rebuilt from the log', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let sql: SqlClient;
    let database: TestDatabase | null = null;

    beforeEach(async () => {
      if (kind === 'postgres') {
        const opened = await openTestPostgres('accrual_read_model_version');
        sql = opened.sql;
        database = opened.database;
      } else {
        sql = await PgliteSqlClient.open();
      }
    });

    afterEach(async () => {
      await sql?.close();
      await database?.drop();
      database = null;
    });

    it('keeps the tables and the checkpoint of the current version', async () => {
      await migrateReadModels(sql, SCHEMA);
      await sql.query(`insert into ${SCHEMA}.checkpoints (projection, position) values ('all', 42)`);
      await migrateReadModels(sql, SCHEMA);
      expect(await checkpointRows(sql)).toBe(1);
      const version = await sql.query<{ version: number }>(`select version from ${SCHEMA}.schema_version`);
      expect(version.rows).toEqual([{ version: READ_MODEL_VERSION }]);
    });

    it('drops a schema made before versions were kept, so the projector starts again from zero', async () => {
      await migrateReadModels(sql, SCHEMA);
      await sql.query(`drop table ${SCHEMA}.schema_version`);
      await sql.query(`insert into ${SCHEMA}.checkpoints (projection, position) values ('all', 42)`);
      await migrateReadModels(sql, SCHEMA);
      expect(await checkpointRows(sql)).toBe(0);
    });

    it('drops a schema of an older version', async () => {
      await migrateReadModels(sql, SCHEMA);
      await sql.query(`update ${SCHEMA}.schema_version set version = ${READ_MODEL_VERSION - 1}`);
      await sql.query(`insert into ${SCHEMA}.checkpoints (projection, position) values ('all', 42)`);
      await migrateReadModels(sql, SCHEMA);
      expect(await checkpointRows(sql)).toBe(0);
      const version = await sql.query<{ version: number }>(`select version from ${SCHEMA}.schema_version`);
      expect(version.rows).toEqual([{ version: READ_MODEL_VERSION }]);
    });

    it('lets two processes migrate at once', async () => {
      await Promise.all([migrateReadModels(sql, SCHEMA), migrateReadModels(sql, SCHEMA)]);
      expect(await checkpointRows(sql)).toBe(0);
    });
  });
});
