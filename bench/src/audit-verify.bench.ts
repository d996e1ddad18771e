import { randomUUID } from 'node:crypto';
import { PgSqlClient } from '@accrual/database';
import { NewEvent, PostgresEventStore, StreamBatch } from '@accrual/event-store';
import { Figures, Goal } from './results';

export const AUDIT_VERIFY_GOALS: Goal[] = [
  { figure: 'audit_verify_events_per_s', kind: 'min', target: 100_000, note: 'verifyIntegrity over the whole log (chains and seals)' },
];

export interface AuditVerifyBenchOptions {
  /** Events in the log before verification. */
  events: number;
  /** Streams the events are spread over (usage per customer). */
  streams: number;
}

const EVENTS_PER_CALL = 1_000;
const WRITERS = 4;

function usageEvent(index: number, customer: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'UsageRecorded',
    data: {
      id: `usage-${index}`,
      customerId: `cus_${customer}`,
      meterCode: 'api_calls',
      quantity: '1',
      timestamp: '2026-01-15T10:00:00Z',
      properties: { region: 'eu-west-1' },
    },
    metadata: { actor: 'bench', role: 'ingest', correlationId: randomUUID(), recordedAt: '2026-01-15T10:00:01.000Z' },
  };
}

/** One call's worth of usage, spread over the streams. */
function usageCall(first: number, streams: number): StreamBatch[] {
  const byStream = new Map<number, NewEvent[]>();
  for (let index = first; index < first + EVENTS_PER_CALL; index++) {
    const customer = (index * 7919) % streams;
    const events = byStream.get(customer) ?? [];
    events.push(usageEvent(index, customer));
    byStream.set(customer, events);
  }
  return [...byStream].map(([customer, events]) => ({ streamId: `usage-cus_${customer}`, events }));
}

/**
 * `audit_verify_events_per_s`: the log is written through `appendNewMany` (not timed) and
 * sealed, then `verifyIntegrity` is timed over all of it: every hash recomputed, every chain
 * link, every stream head and every seal.
 */
export async function benchAuditVerify(sql: PgSqlClient, options: AuditVerifyBenchOptions): Promise<Figures> {
  const store = await PostgresEventStore.open(sql);
  try {
    const calls = Math.ceil(options.events / EVENTS_PER_CALL);
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let call = next++; call < calls; call = next++) {
          await store.appendNewMany(usageCall(call * EVENTS_PER_CALL, options.streams));
        }
      }),
    );
    await store.seal();
    await sql.exec('vacuum analyze event_store_events');
    const started = process.hrtime.bigint();
    const report = await store.verifyIntegrity();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!report.ok) throw new Error(`audit-verify bench: the log does not verify: ${report.reason ?? ''}`);
    return { audit_verify_events_per_s: Math.round(Number(report.checked) / seconds) };
  } finally {
    await store.close();
  }
}
