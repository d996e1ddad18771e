import { Projection } from '../projection';

export const catalogProjection: Projection = {
  name: 'catalog',
  handles: new Set(['MeterDefined', 'PriceCreated']),
  async apply(tx, schema, { event }) {
    if (event.type === 'MeterDefined') {
      await tx.query(
        `insert into ${schema}.meters (code, aggregation, unique_by, definition) values ($1, $2, $3, $4)
         on conflict (code) do nothing`,
        [event.data.code, event.data.aggregation, event.data.uniqueBy, JSON.stringify(event.data)],
      );
    } else if (event.type === 'PriceCreated') {
      await tx.query(
        `insert into ${schema}.prices (id, currency, definition) values ($1, $2, $3) on conflict (id) do nothing`,
        [event.data.id, event.data.currency, JSON.stringify(event.data)],
      );
    }
  },
};
