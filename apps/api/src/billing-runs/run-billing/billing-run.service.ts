import { Inject, Injectable } from '@nestjs/common';
import {
  ActiveSubscription,
  consolidate,
  formatInstant,
  Instant,
  invoiceCreated,
  invoiceDecider,
  InvoiceLineDraft,
  InvoiceSource,
  LateUsagePeriod,
  MAX_LATE_PERIODS_PER_RUN,
  meteredPeriodsDue,
  PriceDefinition,
  planBilling,
  streams,
  SubscriptionBilled,
  SubscriptionCharge,
  subscriptionDecider,
} from '@accrual/billing';
import { WrongExpectedRevisionError } from '@accrual/event-store';
import { Money, parseQuantity } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
import { aggregateUsage, BillingClaim, dueSubscriptionsByCustomer, findMeter, lateUsagePeriods, unfinishedClaims } from '@accrual/read-models';
import { loadPrices } from '../../subscriptions/create-subscription/create-subscription.command';
import { InvoiceIssuer } from '../../invoices/issue-invoice/invoice-issuer';
import { withPricing } from '../../catalog/invoice-pricing-inputs';
import { waitForReadModels } from '../../shared/read-models';
import { forEachBounded } from '../../shared/bounded-concurrency';

/** Customers fetched per page of a run, with all their due subscriptions (a limit on everything). */
export const BILLING_PAGE_SIZE = 500;

/**
 * Stream reads, claims and invoice creations in flight at once. They touch different streams,
 * and overlapping appends share WAL flushes (docs/benchmarks.md, billing_run_subs_per_s).
 */
export const BILLING_WRITES_IN_FLIGHT_MAX = 8;

/** A subscription's plan, with the revision it was planned at (the claim's expected revision). */
interface DueCharge extends SubscriptionCharge {
  revision: bigint | null;
  /** The log position the plan's usage was aggregated up to. */
  usageThrough: bigint;
}

export interface BillingRunOutcome {
  invoiceIds: string[];
  position: bigint | null;
}

/**
 * A billing run at `asOf`: bills every subscription due (licensed in advance, metered in
 * arrears), one invoice per customer and currency, and issues the invoices with `issuedAt = asOf`.
 *
 * Order of writes, so that a crash loses and duplicates nothing:
 * 1. each subscription records what it billed and on which invoice (`SubscriptionBilled`, at its
 *    expected revision, with ids derived from the invoice): a repeated or concurrent identical
 *    run writes nothing twice, and a period is never billed twice;
 * 2. the invoice is created from those lines (`InvoiceCreated`, expected `no_stream`);
 * 3. it is issued with the next gapless number.
 * A run first finishes what a crashed run claimed but did not invoice.
 * Runs in one process take turns; the scheduler runs in one process (docs/billing.md).
 */
@Injectable()
export class BillingRunService {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly issuer: InvoiceIssuer,
  ) {}

  run(asOf: Instant, context: CommandContext): Promise<BillingRunOutcome> {
    const result = this.turn.then(() => this.runAlone(asOf, context));
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async runAlone(asOf: Instant, context: CommandContext): Promise<BillingRunOutcome> {
    // Usage is aggregated up to this position exactly: what arrives later is late usage, billed next time.
    const usageThrough = await this.runtime.eventStore.headPosition();
    await waitForReadModels(this.runtime, usageThrough);
    const invoiceIds = new Set<string>();
    let position: bigint | null = null;
    const track = (id: string, at: bigint | null) => {
      invoiceIds.add(id);
      if (at !== null && (position === null || at > position)) position = at;
    };
    for (const source of claimsToInvoices(await unfinishedClaims(this.runtime.sql))) {
      track(source.id, await this.invoiceAndIssue(source, Date.parse(source.billingRunAsOf ?? formatInstant(asOf)), context));
    }
    const prices = new Map<string, PriceDefinition>();
    for (let after = ''; ; ) {
      const due = await dueSubscriptionsByCustomer(this.runtime.sql, formatInstant(asOf), BILLING_PAGE_SIZE, after);
      if (due.length === 0) break;
      after = due[due.length - 1].customerId;
      const charges = await this.chargesFor(due.map((subscription) => subscription.id), asOf, prices, usageThrough);
      const sources = consolidate(formatInstant(asOf), charges);
      // Steps 1 and 2 side by side across customers; step 3 for the page at once, numbers in page order.
      const toIssue: Array<InvoiceSource | undefined> = new Array(sources.length);
      await forEachBounded([...sources.entries()], BILLING_WRITES_IN_FLIGHT_MAX, async ([index, source]) => {
        // Proration credits beyond what the invoice charges wait for the customer's next invoice.
        if (isCreditOnly(source)) return;
        const claimed = await this.claim(source, charges, context);
        if (claimed.drafts.length === 0) return;
        const created = await this.createInvoice(claimed, context);
        if (created.toIssue) toIssue[index] = claimed;
        else track(claimed.id, created.position);
      });
      const issued = await this.issuer.issueMany(
        toIssue.flatMap((source) => (source ? [source.id] : [])),
        asOf,
        context,
      );
      for (const [invoiceId, { position: at }] of issued) track(invoiceId, at);
    }
    return { invoiceIds: [...invoiceIds], position };
  }

  private async chargesFor(ids: string[], asOf: Instant, prices: Map<string, PriceDefinition>, usageThrough: bigint): Promise<DueCharge[]> {
    // In the order of `ids`, whatever order the reads finish in: the invoices' order follows it.
    const charges: Array<DueCharge | undefined> = new Array(ids.length);
    await forEachBounded([...ids.entries()], BILLING_WRITES_IN_FLIGHT_MAX, async ([index, id]) => {
      const loaded = await loadStream(this.runtime.eventStore, streams.subscription(id), subscriptionDecider);
      if (loaded.state.status === 'none') return;
      const subscription = loaded.state;
      const late = await lateUsagePeriods(this.runtime.sql, id, formatInstant(asOf), MAX_LATE_PERIODS_PER_RUN);
      // Items that ended (a change, a cancellation) and late periods may name prices no item names now.
      const priceIds = [...subscription.items, ...subscription.progress, ...late].map((item) => item.priceId);
      const missing = [...new Set(priceIds)].filter((priceId) => !prices.has(priceId));
      for (const [priceId, price] of await loadPrices(this.runtime.eventStore, missing)) prices.set(priceId, price);
      const usage = await this.usageFor(subscription, prices, asOf, usageThrough);
      const latePeriods = await this.lateUsageFor(subscription, late, usageThrough);
      const plan = planBilling(
        subscription,
        prices,
        asOf,
        (period) => parseQuantity(usage.get(`${period.priceId}|${period.periodStart}`) ?? '0'),
        latePeriods,
      );
      charges[index] = { subscription, plan, revision: loaded.revision, usageThrough };
    });
    return charges.filter((charge): charge is DueCharge => charge !== undefined);
  }

  /** Late periods re-aggregated whole, with the usage up to the run's snapshot. */
  private async lateUsageFor(
    subscription: ActiveSubscription,
    late: readonly { priceId: string; meterCode: string; periodStart: string; periodEnd: string; billedQuantity: string }[],
    usageThrough: bigint,
  ): Promise<LateUsagePeriod[]> {
    const periods: LateUsagePeriod[] = [];
    for (const period of late) {
      const meter = await findMeter(this.runtime.sql, period.meterCode);
      if (!meter) continue;
      const value = await aggregateUsage(
        this.runtime.sql,
        {
          customerId: subscription.customerId,
          meterCode: period.meterCode,
          subscriptionId: subscription.id,
          from: period.periodStart,
          to: period.periodEnd,
          throughPosition: usageThrough.toString(),
        },
        meter.aggregation,
        meter.uniqueBy,
      );
      periods.push({ ...period, quantity: parseQuantity(value) });
    }
    return periods;
  }

  /** The meter aggregates of every closed metered period, read from the usage read model. */
  private async usageFor(
    subscription: ActiveSubscription,
    prices: ReadonlyMap<string, PriceDefinition>,
    asOf: Instant,
    usageThrough: bigint,
  ): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (const period of meteredPeriodsDue(subscription, prices, asOf)) {
      const meter = await findMeter(this.runtime.sql, period.meterCode);
      if (!meter) continue;
      const value = await aggregateUsage(
        this.runtime.sql,
        {
          customerId: subscription.customerId,
          meterCode: period.meterCode,
          subscriptionId: subscription.id,
          from: period.periodStart,
          to: period.periodEnd,
          throughPosition: usageThrough.toString(),
        },
        meter.aggregation,
        meter.uniqueBy,
      );
      values.set(`${period.priceId}|${period.periodStart}`, value);
    }
    return values;
  }

  /** Step 1: each subscription of the invoice records its lines and progress. */
  private async claim(source: InvoiceSource, charges: DueCharge[], context: CommandContext): Promise<InvoiceSource> {
    const claimedIds: string[] = [];
    const drafts: InvoiceLineDraft[] = [];
    for (const subscriptionId of source.subscriptionIds) {
      const charge = charges.find((candidate) => candidate.subscription.id === subscriptionId) as DueCharge;
      const event: SubscriptionBilled = {
        type: 'SubscriptionBilled',
        data: {
          customerId: source.customerId,
          invoiceId: source.id,
          asOf: source.billingRunAsOf as string,
          lines: charge.plan.lines,
          progress: charge.plan.progress,
          pendingLinesBilled: charge.plan.pendingLinesBilled ?? 0,
          meteredBilled: charge.plan.meteredBilled ?? [],
          usageThrough: charge.usageThrough.toString(),
        },
      };
      try {
        await this.runtime.eventStore.append(
          streams.subscription(subscriptionId),
          toNewEvents([event], context, `billed:${source.id}:${subscriptionId}`),
          { expectedRevision: charge.revision === null ? 'no_stream' : charge.revision },
        );
      } catch (error) {
        // Another run billed this subscription first; its periods are on that run's invoice.
        if (error instanceof WrongExpectedRevisionError) continue;
        throw error;
      }
      claimedIds.push(subscriptionId);
      drafts.push(...charge.plan.lines);
    }
    return { ...source, subscriptionIds: claimedIds, drafts };
  }

  /**
   * Steps 2 and 3: create the invoice (once), with its discounts and tax, and issue it. Returns the
   * last position written.
   */
  private async invoiceAndIssue(source: InvoiceSource, issuedAt: Instant, context: CommandContext): Promise<bigint | null> {
    const created = await this.createInvoice(source, context);
    if (!created.toIssue) return created.position;
    const issued = await this.issuer.issue(source.id, issuedAt, context);
    return issued.position;
  }

  /** Step 2: creates the invoice unless it exists; says whether it still needs issuing. */
  private async createInvoice(
    source: InvoiceSource,
    context: CommandContext,
  ): Promise<{ toIssue: true } | { toIssue: false; position: bigint | null }> {
    const existing = await loadStream(this.runtime.eventStore, streams.invoice(source.id), invoiceDecider);
    if (existing.state.status === 'none') {
      await this.runtime.eventStore.append(
        streams.invoice(source.id),
        toNewEvents([invoiceCreated(await withPricing(this.runtime, source))], context, `billing-run:${source.id}`),
        { expectedRevision: 'no_stream' },
      );
    } else if (existing.state.status !== 'draft') {
      return { toIssue: false, position: existing.lastPosition };
    }
    return { toIssue: true };
  }
}

/**
 * An invoice whose lines add up to less than zero (a proration credit with little or nothing to
 * charge) is not made: its lines stay unclaimed, so the credit goes on the customer's next
 * invoice that charges more than it (docs/billing.md, "Changing, cancelling and pausing").
 */
function isCreditOnly(source: InvoiceSource): boolean {
  const subtotal = source.drafts.reduce((sum, draft) => sum.plus(Money.of(draft.amount, source.currency)), Money.zero(source.currency));
  return subtotal.isNegative();
}

/** Claims of crashed runs, grouped back into the invoices they were meant for. */
function claimsToInvoices(claims: readonly BillingClaim[]): InvoiceSource[] {
  const byInvoice = new Map<string, BillingClaim[]>();
  for (const claim of claims) byInvoice.set(claim.invoiceId, [...(byInvoice.get(claim.invoiceId) ?? []), claim]);
  return [...byInvoice.entries()].map(([invoiceId, group]) => ({
    id: invoiceId,
    customerId: group[0].customerId,
    currency: group[0].currency,
    source: 'billing_run',
    billingRunAsOf: group[0].asOf,
    subscriptionIds: group.map((claim) => claim.subscriptionId),
    drafts: group.flatMap((claim) => claim.lines),
    memo: null,
  }));
}
