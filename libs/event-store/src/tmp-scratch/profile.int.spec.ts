import { randomUUID } from 'node:crypto';
import { PgliteSqlClient } from '@accrual/database';
import { PostgresEventStore } from '../postgres';
import { openTestPostgres } from '../../../../test/support/postgres';

function ev(i: number) {
  return { id: randomUUID(), type: 'VolumeRecorded', data: { index: i }, metadata: { actor: 'contract-test', correlationId: randomUUID(), recordedAt: new Date().toISOString() } };
}
async function profile(name: string, store: PostgresEventStore, writers: number) {
  let t = Date.now();
  const perWriter = 100_000 / writers;
  await Promise.all(Array.from({ length: writers }, async () => {
    const stream = 's-' + randomUUID();
    for (let w = 0; w < perWriter; w += 1000) await store.append(stream, Array.from({ length: 1000 }, (_, i) => ev(i)), { expectedRevision: w === 0 ? 'no_stream' : BigInt(w - 1) });
  }));
  const appendMs = Date.now() - t; t = Date.now();
  let after = 0n; let n = 0;
  for (;;) { const page = await store.readAll({ after, maxCount: 10000 }); if (!page.length) break; n += page.length; after = page[page.length - 1].position; }
  console.log(name, writers, 'writers 100k append ms', appendMs, 'read ms', Date.now() - t, n);
}
it('pglite', async () => { const sql = await PgliteSqlClient.open(); const s = await PostgresEventStore.open(sql); await profile('pglite', s, 1); await profile('pglite', s, 4); await s.close(); await sql.close(); }, 120000);
it('pg', async () => { const { sql, database } = await openTestPostgres(); const s = await PostgresEventStore.open(sql); await profile('pg', s, 1); await profile('pg', s, 4); await s.close(); await sql.close(); await database.drop(); }, 120000);
