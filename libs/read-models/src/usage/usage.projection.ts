import { Projection } from '../projection';
import { markLateUsage, recordUsageMany } from './late-usage.queries';
import { RecordedUsage } from './usage-columns';

/**
 * One row per usage event (idempotent by usage id). A new event whose timestamp falls in a
 * metered period already billed marks that period late, for the next billing run.
 */
export const usageProjection: Projection = {
  name: 'usage',
  handles: new Set(['UsageRecorded']),
  async apply(tx, schema, { event, recorded }) {
    if (event.type !== 'UsageRecorded') return;
    const usage = event.data;
    const inserted = await tx.query<{ usage_id: string }>(
      `insert into ${schema}.usage_events
         (usage_id, customer_id, subscription_id, meter_code, quantity, occurred_at, properties, position)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (usage_id) do nothing returning usage_id`,
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
    if (inserted.rows.length === 0) return;
    await markLateUsage(tx, schema, {
      customerId: usage.customerId,
      subscriptionId: usage.subscriptionId,
      meterCode: usage.meterCode,
      timestamp: usage.timestamp,
      position: recorded.position.toString(),
    });
  },
  // The same rows and late marks as `apply` on each, in one statement per run (replay throughput).
  async applyMany(tx, schema, projected) {
    const usages: RecordedUsage[] = [];
    for (const { event, recorded } of projected) {
      if (event.type === 'UsageRecorded') usages.push({ usage: event.data, position: recorded.position.toString() });
    }
    await recordUsageMany(tx, schema, usages);
  },
};
