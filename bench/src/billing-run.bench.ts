import { randomUUID } from 'node:crypto';
import { AccrualEvent, createCustomer, createPrice, createSubscription, PriceDefinition, streams } from '@accrual/billing';
import { EventStore } from '@accrual/event-store';
import { CommandContext, toNewEvents } from '@accrual/platform';
import { BillingRunService } from '../../apps/api/src/billing-runs/run-billing/billing-run.service';
import { Figures, Goal } from './results';
import { startBenchApi } from './usage-http.bench';

export const BILLING_RUN_GOALS: Goal[] = [
  { figure: 'billing_run_subs_per_s', kind: 'min', target: 2_000, note: 'BillingRunService.run, projector paused during the run' },
];

export interface BillingRunBenchOptions {
  subscriptions: number;
  /** Keep the projector applying the run's events during the timed run (as in `npm start`). */
  projectorDuringRun: boolean;
}

/** Every subscription starts here and the run bills at the same instant: one licensed period each. */
const START_DATE = '2026-01-01T00:00:00Z';
const PRICE_ID = 'price_seat_monthly';
/** Concurrent appends while writing the log (set-up, not timed). */
const SETUP_CONCURRENCY = 8;
/** How long the set-up waits for the projector to apply the log. */
const CATCH_UP_TIMEOUT_MS = 600_000;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

function benchContext(): CommandContext {
  return { actor: 'bench', role: 'admin', correlationId: randomUUID(), causationId: null, requestId: randomUUID(), receivedAtMs: Date.now() };
}

/** Customers with one or two subscriptions each (alternately), until `subscriptions` are made. */
function customerPlan(subscriptions: number): number[] {
  const perCustomer: number[] = [];
  for (let made = 0; made < subscriptions; ) {
    const count = Math.min(perCustomer.length % 2 === 0 ? 2 : 1, subscriptions - made);
    perCustomer.push(count);
    made += count;
  }
  return perCustomer;
}

/** The log a billing run needs, made by the deciders and appended through the port (not HTTP). */
function setUpStreams(subscriptions: number, context: CommandContext): Array<{ streamId: string; events: AccrualEvent[] }> {
  const priceEvents = createPrice(
    { id: PRICE_ID, product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' },
    { status: 'none' },
  );
  const prices = new Map<string, PriceDefinition>([[PRICE_ID, priceEvents[0].data]]);
  const writes: Array<{ streamId: string; events: AccrualEvent[] }> = [{ streamId: streams.price(PRICE_ID), events: priceEvents }];
  customerPlan(subscriptions).forEach((count, customer) => {
    const customerId = `cus_${customer.toString().padStart(6, '0')}`;
    writes.push({
      streamId: streams.customer(customerId),
      events: createCustomer({ id: customerId, personal: { clear: { name: `Customer ${customer}`, email: `c${customer}@example.com`, address: null } }, currency: 'USD', country: 'US' }, { status: 'none' }),
    });
    for (let index = 0; index < count; index += 1) {
      const id = `sub_${customerId}_${index}`;
      const command = { id, customerId, startDate: START_DATE, items: [{ priceId: PRICE_ID, quantity: String(index + 1) }] };
      const events = createSubscription(command, { status: 'none' }, { customerCurrency: 'USD', prices, wallClockNow: context.receivedAtMs });
      writes.push({ streamId: streams.subscription(id), events });
    }
  });
  return writes;
}

/**
 * The price first, then the customers, then the subscriptions, each kind side by side: the log
 * must hold them in the order the API would have written them, since the subscriptions' read
 * model finds a subscription due only once its price is projected.
 */
async function appendAll(store: EventStore, writes: ReturnType<typeof setUpStreams>, context: CommandContext): Promise<void> {
  for (const kind of ['price-', 'customer-', 'subscription-']) {
    const ofKind = writes.filter((write) => write.streamId.startsWith(kind));
    let next = 0;
    await Promise.all(
      Array.from({ length: SETUP_CONCURRENCY }, async () => {
        for (let index = next++; index < ofKind.length; index = next++) {
          const { streamId, events } = ofKind[index];
          await store.append(streamId, toNewEvents(events, context), { expectedRevision: 'no_stream' });
        }
      }),
    );
  }
}

/**
 * A billing run over `subscriptions` licensed subscriptions, all due at the run's `asOf`, on a
 * fresh database. The projector applies the set-up, then (unless `projectorDuringRun`) pauses
 * for the timed run: the run reads the read models only to find what is due, and on two cores a
 * running projector takes CPU from the run, which would make the figure say as much about it.
 */
export async function benchBillingRun(databaseUrl: string, options: BillingRunBenchOptions): Promise<Figures> {
  const api = await startBenchApi(databaseUrl, true);
  try {
    const context = benchContext();
    const writes = setUpStreams(options.subscriptions, context);
    const setUpStarted = Date.now();
    await appendAll(api.runtime.eventStore, writes, context);
    const appended = Date.now();
    const head = await api.runtime.eventStore.headPosition();
    if (!(await api.runtime.projector?.waitFor(head, CATCH_UP_TIMEOUT_MS))) throw new Error('billing-run bench: the projector did not catch up');
    log(`set-up: ${writes.length} appends in ${seconds(appended - setUpStarted)}, projector caught up ${seconds(Date.now() - appended)} later`);
    if (!options.projectorDuringRun) await api.runtime.projector?.stop();
    const customers = writes.filter((write) => write.streamId.startsWith('customer-')).length;
    const started = process.hrtime.bigint();
    const outcome = await api.app.get(BillingRunService).run(Date.parse(START_DATE), benchContext());
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    log(`run: ${options.subscriptions} subscriptions, ${outcome.invoiceIds.length} invoices in ${elapsed.toFixed(1)} s`);
    if (outcome.invoiceIds.length !== customers) {
      throw new Error(`billing-run bench: ${outcome.invoiceIds.length} invoices for ${customers} customers`);
    }
    return { billing_run_subs_per_s: Math.round(options.subscriptions / elapsed) };
  } finally {
    await api.close();
  }
}
