import { SqlExecutor } from '@accrual/database';
import { columns, insertRows } from '../batch-rows';
import { ProjectedEvent, Projection } from '../projection';

/**
 * Customers. `profile` keeps the personal fields as the log has them, sealed (GDPR, docs/compliance.md):
 * the API opens them with the customer's key at query time, so no read model ever holds them in
 * the clear. On erasure the sealed value is dropped as well (`personal: {erased: true}`), and so is
 * any clear copy a schema version 1 profile carried.
 *
 * A batch takes one statement per run of creations or erasures, in log order; a single event is a batch of one.
 */
export const customersProjection: Projection = {
  name: 'customers',
  handles: new Set(['CustomerCreated', 'CustomerErased']),
  apply(tx, schema, projected) {
    return applyCustomersBatch(tx, schema, [projected]);
  },
  applyBatch: applyCustomersBatch,
};

const CUSTOMER_COLUMNS = columns('id text', 'currency text', 'profile jsonb', 'created_position bigint');

async function applyCustomersBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  let created: string[][] = [];
  let erased: string[] = [];
  const flush = async () => {
    await insertRows(tx, `${schema}.customers`, CUSTOMER_COLUMNS, created, 'on conflict (id) do nothing');
    if (erased.length > 0) {
      await tx.query(
        `update ${schema}.customers set profile = (profile - 'name' - 'email' - 'address') || '{"personal": {"erased": true}}'::jsonb
         where id = any($1::text[])`,
        [erased],
      );
    }
    created = [];
    erased = [];
  };
  for (const { event, recorded } of projected) {
    if (event.type === 'CustomerCreated') {
      if (erased.length > 0) await flush();
      created.push([event.data.id, event.data.currency, JSON.stringify(event.data), recorded.position.toString()]);
    } else if (event.type === 'CustomerErased') {
      if (created.length > 0) await flush();
      erased.push(event.data.customerId);
    }
  }
  await flush();
}
