import { randomUUID } from 'node:crypto';
import { AccrualEvent, createCustomer, createPrice, createSubscription, PriceDefinition, streams } from '@accrual/billing';
import { PgSqlClient } from '@accrual/database';
import { createEventStore, EventStore } from '@accrual/event-store';
import { CommandContext, toNewEvents } from '@accrual/platform';
import { rebuildReadModels } from '@accrual/read-models';
import { Figures, Goal } from './results';

export const REBUILD_GOALS: Goal[] = [
  { figure: 'rebuild_events_per_s', kind: 'min', target: 30_000, note: 'rebuildReadModels from zero, every read model' },
];

export interface RebuildBenchOptions {
  /** Events in the log (customers, prices, subscriptions, then usage), at least. */
  events: number;
  customers: number;
}

const PRICE_ID = 'price_seat_monthly';
const START_DATE = '2026-01-01T00:00:00Z';
/** Usage events per append (the HTTP batch limit). */
const USAGE_BATCH = 1_000;
/** Concurrent appends while writing the log (set-up, not timed). */
const SETUP_CONCURRENCY = 4;

function benchContext(): CommandContext {
  return { actor: 'bench', role: 'admin', correlationId: randomUUID(), causationId: null, requestId: randomUUID(), receivedAtMs: Date.now() };
}

/** One price, then per customer: the customer and one subscription. */
function catalogAndCustomers(customers: number, context: CommandContext): Array<{ streamId: string; events: AccrualEvent[] }> {
  const priceEvents = createPrice(
    { id: PRICE_ID, product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' },
    { status: 'none' },
  );
  const prices = new Map<string, PriceDefinition>([[PRICE_ID, priceEvents[0].data]]);
  const writes: Array<{ streamId: string; events: AccrualEvent[] }> = [{ streamId: streams.price(PRICE_ID), events: priceEvents }];
  for (let customer = 0; customer < customers; customer += 1) {
    const customerId = customerIdOf(customer);
    writes.push({
      streamId: streams.customer(customerId),
      events: createCustomer({ id: customerId, personal: { clear: { name: `Customer ${customer}`, email: `c${customer}@example.com`, address: null } }, currency: 'USD', country: 'US' }, { status: 'none' }),
    });
    const id = `sub_${customerId}`;
    const command = { id, customerId, startDate: START_DATE, items: [{ priceId: PRICE_ID, quantity: '1' }] };
    writes.push({ streamId: streams.subscription(id), events: createSubscription(command, { status: 'none' }, { customerCurrency: 'USD', prices, wallClockNow: context.receivedAtMs }) });
  }
  return writes;
}

function customerIdOf(customer: number): string {
  return `cus_${customer.toString().padStart(6, '0')}`;
}

/** A batch of usage events of one customer, spread over January. */
function usageBatch(batch: number, customers: number): { streamId: string; events: AccrualEvent[] } {
  const customerId = customerIdOf(batch % customers);
  const events: AccrualEvent[] = Array.from({ length: USAGE_BATCH }, (_, index) => ({
    type: 'UsageRecorded',
    data: {
      id: `u_${batch}_${index}`,
      customerId,
      subscriptionId: null,
      meterCode: 'api_calls',
      quantity: String(1 + (index % 10)),
      timestamp: new Date(Date.parse(START_DATE) + ((batch * USAGE_BATCH + index) % 2_678_400) * 1000).toISOString().replace('.000Z', 'Z'),
      properties: {},
    },
  }));
  return { streamId: streams.usage(customerId), events };
}

async function appendLog(store: EventStore, options: RebuildBenchOptions): Promise<number> {
  const context = benchContext();
  const setUp = catalogAndCustomers(options.customers, context);
  let appended = 0;
  for (const { streamId, events } of setUp) {
    await store.append(streamId, toNewEvents(events, context), { expectedRevision: 'no_stream' });
    appended += events.length;
  }
  const batches = Math.ceil(Math.max(0, options.events - appended) / USAGE_BATCH);
  let next = 0;
  await Promise.all(
    Array.from({ length: SETUP_CONCURRENCY }, async () => {
      for (let batch = next++; batch < batches; batch = next++) {
        const { streamId, events } = usageBatch(batch, options.customers);
        await store.appendNew(streamId, toNewEvents(events, context));
      }
    }),
  );
  return appended + batches * USAGE_BATCH;
}

/** Writes a log of `events` events through the port (not timed), then times a rebuild of every read model from it. */
export async function benchRebuild(databaseUrl: string, options: RebuildBenchOptions): Promise<Figures> {
  const sql = new PgSqlClient({ connectionString: databaseUrl, maxConnections: 8, applicationName: 'accrual-bench' });
  const store = await createEventStore({ kind: 'postgres', sql });
  try {
    const setUpStarted = Date.now();
    const events = await appendLog(store, options);
    process.stderr.write(`[bench] set-up: ${events} events appended in ${((Date.now() - setUpStarted) / 1000).toFixed(1)} s\n`);
    const started = process.hrtime.bigint();
    const result = await rebuildReadModels({ store, sql, schema: 'bench_rebuild' });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`[bench] rebuild: ${result.eventsApplied} events in ${elapsed.toFixed(1)} s\n`);
    if (result.eventsApplied !== events) throw new Error(`rebuild bench: applied ${result.eventsApplied} of ${events} events`);
    return { rebuild_events_per_s: Math.round(result.eventsApplied / elapsed) };
  } finally {
    await store.close();
    await sql.close();
  }
}
