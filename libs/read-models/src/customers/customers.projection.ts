import { Projection } from '../projection';

export const customersProjection: Projection = {
  name: 'customers',
  handles: new Set(['CustomerCreated']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type !== 'CustomerCreated') return;
    await tx.query(
      `insert into ${schema}.customers (id, currency, profile, created_position) values ($1, $2, $3, $4)
       on conflict (id) do nothing`,
      [event.data.id, event.data.currency, JSON.stringify(event.data), recorded.position.toString()],
    );
  },
};
