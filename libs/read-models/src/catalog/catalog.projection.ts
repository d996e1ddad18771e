import { Projection } from '../projection';

/** The catalog: meters, prices, coupons and tax rates, each immutable once created. */
export const catalogProjection: Projection = {
  name: 'catalog',
  handles: new Set(['MeterDefined', 'PriceCreated', 'CouponCreated', 'TaxRateCreated']),
  async apply(tx, schema, { event, recorded }) {
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
    } else if (event.type === 'CouponCreated') {
      await tx.query(
        `insert into ${schema}.coupons (id, definition, created_position) values ($1, $2, $3) on conflict (id) do nothing`,
        [event.data.id, JSON.stringify(event.data), recorded.position.toString()],
      );
    } else if (event.type === 'TaxRateCreated') {
      await tx.query(
        `insert into ${schema}.tax_rates (id, country, region, definition, created_position) values ($1, $2, $3, $4, $5)
         on conflict (id) do nothing`,
        [event.data.id, event.data.country, event.data.region, JSON.stringify(event.data), recorded.position.toString()],
      );
    }
  },
};
