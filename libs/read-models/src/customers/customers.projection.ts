import { Projection } from '../projection';

/**
 * Customers. `profile` keeps the personal fields as the log has them, sealed (GDPR, docs/compliance.md):
 * the API opens them with the customer's key at query time, so no read model ever holds them in
 * the clear. On erasure the sealed value is dropped as well (`personal: {erased: true}`), and so is
 * any clear copy a schema version 1 profile carried.
 */
export const customersProjection: Projection = {
  name: 'customers',
  handles: new Set(['CustomerCreated', 'CustomerErased']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type === 'CustomerCreated') {
      await tx.query(
        `insert into ${schema}.customers (id, currency, profile, created_position) values ($1, $2, $3, $4)
         on conflict (id) do nothing`,
        [event.data.id, event.data.currency, JSON.stringify(event.data), recorded.position.toString()],
      );
    } else if (event.type === 'CustomerErased') {
      await tx.query(
        `update ${schema}.customers set profile = (profile - 'name' - 'email' - 'address') || '{"personal": {"erased": true}}'::jsonb
         where id = $1`,
        [event.data.customerId],
      );
    }
  },
};
