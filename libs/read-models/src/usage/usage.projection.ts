import { Projection } from '../projection';

export const usageProjection: Projection = {
  name: 'usage',
  handles: new Set(['UsageRecorded']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type !== 'UsageRecorded') return;
    const usage = event.data;
    await tx.query(
      `insert into ${schema}.usage_events
         (usage_id, customer_id, subscription_id, meter_code, quantity, occurred_at, properties, position)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (usage_id) do nothing`,
      [
        usage.id,
        usage.customerId,
        usage.subscriptionId,
        usage.meterCode,
        usage.quantity,
        usage.timestamp,
        JSON.stringify(usage.properties),
        recorded.position.toString(),
      ],
    );
  },
};
