import { randomUUID } from 'node:crypto';
import { PgliteSqlClient } from '@accrual/database';
import { PostgresEventStore } from '../postgres';

it('plans', async () => {
  const sql = await PgliteSqlClient.open(); const s = await PostgresEventStore.open(sql);
  const stream = 's';
  for (let w = 0; w < 50; w++) await s.append(stream, Array.from({ length: 1000 }, (_, i) => ({ id: randomUUID(), type: 'T', data: { i }, metadata: { actor: 'a', recordedAt: 'x' } })), { expectedRevision: 'any' });
  const show = async (q: string, p: unknown[] = []) => { const r = await sql.query<any>('explain ' + q, p); console.log(q.slice(0, 80) + '\n' + r.rows.map((x) => x['QUERY PLAN']).join('\n')); };
  await show(`select * from event_store_events where global_position > $1 and transaction_id < pg_snapshot_xmin(pg_current_snapshot()) order by global_position limit $2`, ['0', 10000]);
  await show(`select * from event_store_events where event_id = any($1::uuid[])`, [[randomUUID(), randomUUID()]]);
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  await show(`select * from event_store_events where event_id = any($1::uuid[])`, [ids]);
  await show(`select global_position from event_store_events where transaction_id < pg_snapshot_xmin(pg_current_snapshot()) order by global_position desc limit 1`);
  let t = Date.now(); await sql.query(`select * from event_store_events where global_position > $1 and transaction_id < pg_snapshot_xmin(pg_current_snapshot()) order by global_position limit $2`, ['0', 10000]); console.log('read 10k ms', Date.now() - t);
  t = Date.now(); await sql.query(`select global_position from event_store_events where global_position > $1 order by global_position limit $2`, ['0', 10000]); console.log('read 10k positions only ms', Date.now() - t);
  t = Date.now(); await sql.query(`select data, metadata from event_store_events where global_position > $1 order by global_position limit $2`, ['0', 10000]); console.log('read 10k data+meta ms', Date.now() - t);
  t = Date.now(); await sql.query(`select data::text, metadata::text from event_store_events where global_position > $1 order by global_position limit $2`, ['0', 10000]); console.log('read 10k data+meta as text ms', Date.now() - t);
  t = Date.now(); await sql.query(`select * from event_store_events where event_id = any($1::uuid[])`, [ids]); console.log('lookup 1000 ids ms', Date.now() - t);
  await s.close(); await sql.close();
}, 120000);
