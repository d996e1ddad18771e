import { UsageRecordedData } from '@accrual/billing';
import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { RecordedEvent } from '@accrual/event-store';
import { describeWithPostgres } from '../../../../test/support/suites';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { ProjectedEvent } from '../projection';
import { migrateReadModels } from '../schema';
import { OPTIMISTIC_USAGE_INSERT_ROWS_MIN, recordMeteredBilling } from './late-usage.queries';
import { arrayLiteral } from './usage-columns';
import { usageProjection } from './usage.projection';

/**
 * Runs of usage events applied at once (`applyMany`: arrays, and from OPTIMISTIC_USAGE_INSERT_ROWS_MIN
 * rows on a plain insert under a savepoint) against the same events applied one by one (`apply`),
 * on both databases: the same `usage_events` and `late_usage` rows, repeats of a usage id included
 * (the first event of an id wins), and texts that need quoting in an array literal kept as they are.
 */
const ONE_BY_ONE = 'usage_one_by_one';
const RUNS = 'usage_runs';
const CUSTOMERS = ['cus_a', 'cus "quoted", {braced}', 'NULL'];
const METERS = ['api_calls', 'back\\slash meter'];
/** Ids a naive array literal would break: quotes, backslashes, commas, braces, blanks, NULL, non-ASCII. */
const AWKWARD_IDS = ['u "1"', 'u\\2', 'u,3', '{u4}', ' u5 ', 'NULL', 'null', '', 'ü→6', 'u\'7'];

function usageEvent(index: number, id = `u-${index}`): UsageRecordedData {
  const day = 1 + (index % 28);
  return {
    id,
    customerId: CUSTOMERS[index % CUSTOMERS.length],
    subscriptionId: index % 5 === 0 ? `sub-${CUSTOMERS[index % CUSTOMERS.length]}` : null,
    meterCode: METERS[index % METERS.length],
    quantity: index % 7 === 0 ? '0.000000000001' : String(1 + (index % 13)),
    timestamp: `2026-0${1 + (index % 2)}-${String(day).padStart(2, '0')}T${String(index % 24).padStart(2, '0')}:00:00Z`,
    properties: index % 3 === 0 ? {} : { region: index % 2 === 0 ? 'eu "west"' : 'us\\east', count: index, flag: index % 4 === 0, none: null },
  };
}

function projected(usages: readonly UsageRecordedData[], firstPosition: number): ProjectedEvent[] {
  return usages.map((data, offset) => ({
    event: { type: 'UsageRecorded', data },
    recorded: { position: BigInt(firstPosition + offset) } as unknown as RecordedEvent,
  }));
}

describeWithPostgres('usage read model: runs applied at once equal events applied one by one', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let sql: SqlClient;
    let database: TestDatabase | null = null;
    let position = 1;

    /** Applies `usages` as one run in RUNS and one by one in ONE_BY_ONE, each in a transaction. */
    async function applyBoth(usages: readonly UsageRecordedData[]): Promise<void> {
      const run = projected(usages, position);
      position += usages.length;
      await sql.transaction((tx) => usageProjection.applyMany!(tx, RUNS, run));
      await sql.transaction(async (tx) => {
        for (const one of run) await usageProjection.apply(tx, ONE_BY_ONE, one);
      });
    }

    async function rowsOf(schema: string, table: string, order: string): Promise<string[]> {
      const result = await sql.query<{ row: string }>(`select t::text as row from ${schema}.${table} t order by ${order}`);
      return result.rows.map((row) => row.row);
    }

    async function expectSameTables(): Promise<void> {
      expect(await rowsOf(RUNS, 'usage_events', 'usage_id')).toEqual(await rowsOf(ONE_BY_ONE, 'usage_events', 'usage_id'));
      expect(await rowsOf(RUNS, 'late_usage', 'subscription_id, price_id, period_start')).toEqual(
        await rowsOf(ONE_BY_ONE, 'late_usage', 'subscription_id, price_id, period_start'),
      );
    }

    beforeAll(async () => {
      if (kind === 'postgres') {
        const opened = await openTestPostgres('accrual_usage_runs');
        sql = opened.sql;
        database = opened.database;
      } else {
        sql = await PgliteSqlClient.open();
      }
      for (const schema of [ONE_BY_ONE, RUNS]) {
        await migrateReadModels(sql, schema);
        // January billed for every customer's subscription and meter before any usage: what
        // arrives for it afterwards is late usage.
        await sql.transaction(async (tx) => {
          for (const customerId of CUSTOMERS) {
            for (const meterCode of METERS) {
              await recordMeteredBilling(tx, schema, {
                subscriptionId: `sub-${customerId}`,
                customerId,
                priceId: `price-${meterCode}`,
                meterCode,
                periodStart: '2026-01-01T00:00:00Z',
                periodEnd: '2026-02-01T00:00:00Z',
                quantity: '0',
                usageThrough: '0',
              });
            }
          }
        });
      }
    });

    afterAll(async () => {
      await sql?.close();
      await database?.drop();
    });

    it('a long run without repeats (the plain insert) gives the same rows and late marks', async () => {
      const usages = Array.from({ length: OPTIMISTIC_USAGE_INSERT_ROWS_MIN + 500 }, (_, index) => usageEvent(index));
      await applyBoth(usages);
      await expectSameTables();
      const counted = await sql.query<{ count: string }>(`select count(*)::text as count from ${RUNS}.usage_events`);
      expect(counted.rows[0].count).toBe(String(usages.length));
      const late = await sql.query<{ count: string }>(`select count(*)::text as count from ${RUNS}.late_usage`);
      expect(Number(late.rows[0].count)).toBeGreaterThan(0);
    });

    it('a long run with ids stored before and ids repeated within it keeps the first event of each id', async () => {
      const repeatedStored = [usageEvent(7), usageEvent(1_000)].map((usage) => ({ ...usage, quantity: '999' }));
      const fresh = Array.from({ length: OPTIMISTIC_USAGE_INSERT_ROWS_MIN }, (_, index) => usageEvent(5_000 + index));
      const repeatedWithin = { ...usageEvent(5_003), quantity: '777', customerId: 'cus_a' };
      await applyBoth([...repeatedStored, ...fresh.slice(0, 10), repeatedWithin, ...fresh.slice(10)]);
      await expectSameTables();
      const kept = await sql.query<{ usage_id: string; quantity: string }>(
        `select usage_id, quantity::text as quantity from ${RUNS}.usage_events where usage_id = any($1::text[]) order by usage_id`,
        [['u-7', 'u-1000', 'u-5003']],
      );
      expect(kept.rows).toEqual([
        { usage_id: 'u-1000', quantity: usageEvent(1_000).quantity },
        { usage_id: 'u-5003', quantity: usageEvent(5_003).quantity },
        { usage_id: 'u-7', quantity: usageEvent(7).quantity },
      ]);
    });

    it('short runs (on conflict) and awkward texts in every column give the same rows', async () => {
      const awkward = AWKWARD_IDS.map((id, index) => usageEvent(10_000 + index, id));
      await applyBoth(awkward);
      await applyBoth([awkward[0], usageEvent(20_000), awkward[1]]);
      await expectSameTables();
      const ids = await sql.query<{ usage_id: string }>(`select usage_id from ${RUNS}.usage_events where usage_id = any($1::text[])`, [AWKWARD_IDS]);
      expect(ids.rows.map((row) => row.usage_id).sort()).toEqual([...AWKWARD_IDS].sort());
    });

    it('an array literal reads back as the texts it was made of', async () => {
      const texts = [...AWKWARD_IDS, ...CUSTOMERS, ...METERS, '{"a": "b\\"c"}', 'tab\there'];
      const result = await sql.query<{ texts: string[] }>('select $1::text[] as texts', [arrayLiteral(texts)]);
      expect(result.rows[0].texts).toEqual(texts);
      const withNull = await sql.query<{ texts: Array<string | null> }>('select $1::text[] as texts', [arrayLiteral(['NULL', null, ''])]);
      expect(withNull.rows[0].texts).toEqual(['NULL', null, '']);
    });
  });
});
