import { Inject, Injectable } from '@nestjs/common';
import {
  ActiveSubscription,
  consolidate,
  CouponDefinition,
  couponDecider,
  couponDiscountsFor,
  formatInstant,
  Instant,
  invoiceCreated,
  invoiceDecider,
  InvoiceLineDraft,
  InvoiceSource,
  InvoiceState,
  InvoiceView,
  LateUsagePeriod,
  MAX_LATE_PERIODS_PER_RUN,
  meteredPeriodsDue,
  PriceDefinition,
  planBilling,
  streams,
  SubscriptionBilled,
  SubscriptionCharge,
  subscriptionDecider,
  SubscriptionLines,
  TaxRateDefinition,
} from '@accrual/billing';
import { StreamBatch, WrongExpectedRevisionError } from '@accrual/event-store';
import { Money, parseQuantity } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
import {
  aggregateUsage,
  BillingClaim,
  BillingCustomer,
  DueSubscription,
  dueSubscriptionsByCustomer,
  existingInvoiceIds,
  findBillingCustomers,
  findMeter,
  LateUsageRow,
  lateUsagePeriodsOf,
  unfinishedClaims,
} from '@accrual/read-models';
import { loadPrices } from '../../subscriptions/create-subscription/create-subscription.command';
import { InvoiceIssuer } from '../../invoices/issue-invoice/invoice-issuer';
import { customerTaxRate, withPricing } from '../../catalog/invoice-pricing-inputs';
import { waitForReadModels } from '../../shared/read-models';
import { forEachBounded } from '../../shared/bounded-concurrency';

/** Customers fetched per page of a run, with all their due subscriptions (a limit on everything). */
export const BILLING_PAGE_SIZE = 500;

/**
 * Per-subscription reads and writes in flight at once (a stream read for a state without a
 * revision; a claim, when its chunk fell back to one append per subscription). They touch
 * different streams, and overlapping appends share WAL flushes.
 */
export const BILLING_WRITES_IN_FLIGHT_MAX = 16;

/**
 * Claims written by one `appendMany` (one statement, one transaction, every claim at its own
 * expected revision), and such appends in flight at once (docs/benchmarks.md, billing_run_subs_per_s).
 */
export const BILLING_CLAIMS_PER_APPEND = 250;
export const BILLING_CLAIM_APPENDS_IN_FLIGHT_MAX = 4;

/** A subscription's plan, with the revision it was planned at (the claim's expected revision). */
interface DueCharge extends SubscriptionCharge {
  revision: bigint | null;
  /** The log position the plan's usage was aggregated up to. */
  usageThrough: bigint;
}

/** A subscription's claim that landed: its state after the claim, for the invoice's coupon. */
interface Claimed {
  subscription: ActiveSubscription;
  lines: InvoiceLineDraft[];
}

/** A page whose invoices are created: what its issue step needs. */
interface CreatedPage {
  drafts: InvoiceView[];
  /** Invoices the careful path created (or found as drafts), issued one by one before the drafts. */
  issueFirst: Array<{ invoiceId: string; issuedAt: Instant }>;
  customers: ReadonlyMap<string, BillingCustomer>;
}

export interface BillingRunOutcome {
  invoiceIds: string[];
  position: bigint | null;
}

/** What a run reads once and reuses: catalog entries and tax rates do not change under it. */
interface RunCache {
  prices: Map<string, PriceDefinition>;
  coupons: Map<string, CouponDefinition | null>;
  taxRates: Map<string, TaxRateDefinition | null>;
  meters: Map<string, Awaited<ReturnType<typeof findMeter>>>;
}

/**
 * A billing run at `asOf`: bills every subscription due (licensed in advance, metered in
 * arrears), one invoice per customer and currency, and issues the invoices with `issuedAt = asOf`.
 *
 * Order of writes, so that a crash loses and duplicates nothing:
 * 1. each subscription records what it billed and on which invoice (`SubscriptionBilled`, at the
 *    revision it was planned at, with ids derived from the invoice): a repeated or concurrent
 *    identical run writes nothing twice, and a period is never billed twice;
 * 2. the invoice is created from those lines (`InvoiceCreated`, with an id derived from the invoice);
 * 3. it is issued with the next gapless number.
 * A run first finishes what a crashed run claimed but did not invoice.
 *
 * A page of customers costs one read of the subscriptions read model (state and revision), one
 * late-usage query, one customers query, one multi-stream claim append per 250 subscriptions, one multi-stream append
 * of the invoices and, per 500 invoices, one append of numbers and one of the issues.
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
    const cache: RunCache = { prices: new Map(), coupons: new Map(), taxRates: new Map(), meters: new Map() };
    // Three stages a page apart: while page n+2 is planned and claimed, page n+1's invoices are
    // priced and created and page n's are issued. Each stage takes the pages in order (numbers
    // follow the page order), and a stage runs at most two pages behind the planning.
    let creating: Promise<CreatedPage> = Promise.resolve({ drafts: [], issueFirst: [], customers: new Map() });
    let issuing: Promise<void> = Promise.resolve();
    let issuedBefore: Promise<void> = Promise.resolve();
    try {
      for (let after = ''; ; ) {
        const due = await dueSubscriptionsByCustomer(this.runtime.sql, formatInstant(asOf), BILLING_PAGE_SIZE, after);
        if (due.length === 0) break;
        after = due[due.length - 1].customerId;
        const charges = await this.chargesFor(due, asOf, cache, usageThrough);
        const claimed = await this.claimAll(consolidate(formatInstant(asOf), charges), charges, context);
        const previousCreating = creating;
        const previousIssuing = issuing;
        creating = previousCreating.then(() => this.createPage(claimed, cache, context, track));
        issuing = Promise.all([previousIssuing, creating]).then(([, page]) => this.issuePage(page, asOf, context, track));
        // Marked handled here; a failure is thrown by the `await`s below or after the loop.
        creating.catch(() => undefined);
        issuing.catch(() => undefined);
        await Promise.all([previousCreating, issuedBefore]);
        issuedBefore = previousIssuing;
      }
      await creating;
      await issuing;
    } finally {
      // On a failure, the run ends (and the next run takes its turn) only once no stage still writes.
      await Promise.allSettled([creating, issuing]);
    }
    return { invoiceIds: [...invoiceIds], position };
  }

  /**
   * Step 2 for a page: its invoices priced and created in one append. Answers the drafts to issue,
   * and the invoices that took the careful path (a manual invoice holds the id) and still need issuing.
   */
  private async createPage(
    claimed: ReadonlyArray<{ source: InvoiceSource; claims: Claimed[] }>,
    cache: RunCache,
    context: CommandContext,
    track: (invoiceId: string, position: bigint | null) => void,
  ): Promise<CreatedPage> {
    // An invoice id is derived from claims that just landed, so only a manual invoice given that
    // very id can hold it: such an invoice takes the careful path, which refuses to overwrite it.
    const [customers, taken] = await Promise.all([
      findBillingCustomers(this.runtime.sql, [...new Set(claimed.map(({ source }) => source.customerId))]),
      existingInvoiceIds(this.runtime.sql, claimed.map(({ source }) => source.id)),
    ]);
    const issueFirst: CreatedPage['issueFirst'] = [];
    const fresh: Array<{ source: InvoiceSource; claims: Claimed[] }> = [];
    for (const invoice of claimed) {
      if (!taken.has(invoice.source.id)) {
        fresh.push(invoice);
        continue;
      }
      const created = await this.createInvoice(invoice.source, context);
      if (created.toIssue) issueFirst.push({ invoiceId: invoice.source.id, issuedAt: Date.parse(invoice.source.billingRunAsOf as string) });
      else track(invoice.source.id, created.position);
    }
    return { drafts: await this.createInvoices(fresh, customers, cache, context, track), issueFirst, customers };
  }

  /** Step 3 for a page, after the page before it: the careful path's invoices, then the drafts, numbered in page order. */
  private async issuePage(page: CreatedPage, asOf: Instant, context: CommandContext, track: (invoiceId: string, position: bigint | null) => void): Promise<void> {
    for (const { invoiceId, issuedAt } of page.issueFirst) track(invoiceId, (await this.issuer.issue(invoiceId, issuedAt, context)).position);
    if (page.drafts.length === 0) return;
    const { customers } = page;
    const terms = {
      paymentTermsDays: (customerId: string) => customers.get(customerId)?.profile.paymentTermsDays ?? 30,
      hasCredit: (customerId: string, currency: string) => Money.of(customers.get(customerId)?.credit[currency] ?? '0', currency).isPositive(),
    };
    for (const [invoiceId, { position: at }] of await this.issuer.issueDrafts(page.drafts, asOf, terms, context)) track(invoiceId, at);
  }

  /** Plans every due subscription of a page, in the page's order (the invoices' order follows it). */
  private async chargesFor(due: readonly DueSubscription[], asOf: Instant, cache: RunCache, usageThrough: bigint): Promise<DueCharge[]> {
    const late = await lateUsagePeriodsOf(this.runtime.sql, due.map((subscription) => subscription.id), formatInstant(asOf), MAX_LATE_PERIODS_PER_RUN);
    const loaded = await this.subscriptionStates(due);
    // Items that ended (a change, a cancellation) and late periods may name prices no item names now.
    const priceIds = loaded.flatMap(({ state }) => [...state.items, ...state.progress, ...(late.get(state.id) ?? [])].map((item) => item.priceId));
    const missing = [...new Set(priceIds)].filter((priceId) => !cache.prices.has(priceId));
    for (const [priceId, price] of await loadPrices(this.runtime.eventStore, missing)) cache.prices.set(priceId, price);
    const charges: DueCharge[] = [];
    for (const { state: subscription, revision } of loaded) {
      const usage = await this.usageFor(subscription, cache, asOf, usageThrough);
      const latePeriods = await this.lateUsageFor(subscription, late.get(subscription.id) ?? [], cache, usageThrough);
      const plan = planBilling(
        subscription,
        cache.prices,
        asOf,
        (period) => parseQuantity(usage.get(`${period.priceId}|${period.periodStart}`) ?? '0'),
        latePeriods,
      );
      charges.push({ subscription, plan, revision, usageThrough });
    }
    return charges;
  }

  /**
   * States from the read model, which the run waited for; a row from before revisions were kept
   * is read from its stream. A state that moved on since is caught by the claim's expected revision.
   */
  private async subscriptionStates(due: readonly DueSubscription[]): Promise<Array<{ state: ActiveSubscription; revision: bigint | null }>> {
    const states: Array<{ state: ActiveSubscription; revision: bigint | null } | undefined> = new Array(due.length);
    await forEachBounded([...due.entries()], BILLING_WRITES_IN_FLIGHT_MAX, async ([index, row]) => {
      if (row.revision !== null) {
        states[index] = { state: row.state, revision: row.revision };
        return;
      }
      const loaded = await loadStream(this.runtime.eventStore, streams.subscription(row.id), subscriptionDecider);
      if (loaded.state.status !== 'none') states[index] = { state: loaded.state, revision: loaded.revision };
    });
    return states.filter((state) => state !== undefined);
  }

  /** Late periods re-aggregated whole, with the usage up to the run's snapshot. */
  private async lateUsageFor(
    subscription: ActiveSubscription,
    late: readonly LateUsageRow[],
    cache: RunCache,
    usageThrough: bigint,
  ): Promise<LateUsagePeriod[]> {
    const periods: LateUsagePeriod[] = [];
    for (const period of late) {
      const value = await this.aggregate(subscription, period, cache, usageThrough);
      if (value !== null) periods.push({ ...period, quantity: parseQuantity(value) });
    }
    return periods;
  }

  /** The meter aggregates of every closed metered period, read from the usage read model. */
  private async usageFor(subscription: ActiveSubscription, cache: RunCache, asOf: Instant, usageThrough: bigint): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (const period of meteredPeriodsDue(subscription, cache.prices, asOf)) {
      const value = await this.aggregate(subscription, period, cache, usageThrough);
      if (value !== null) values.set(`${period.priceId}|${period.periodStart}`, value);
    }
    return values;
  }

  private async aggregate(
    subscription: ActiveSubscription,
    period: { meterCode: string; periodStart: string; periodEnd: string },
    cache: RunCache,
    usageThrough: bigint,
  ): Promise<string | null> {
    if (!cache.meters.has(period.meterCode)) cache.meters.set(period.meterCode, await findMeter(this.runtime.sql, period.meterCode));
    const meter = cache.meters.get(period.meterCode);
    if (!meter) return null;
    return aggregateUsage(
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
  }

  /**
   * Step 1 for a page: each subscription of each invoice records its lines and progress, at the
   * revision it was planned at. Answers the invoices with the claims that landed, in page order.
   */
  private async claimAll(
    sources: readonly InvoiceSource[],
    charges: readonly DueCharge[],
    context: CommandContext,
  ): Promise<Array<{ source: InvoiceSource; claims: Claimed[] }>> {
    const bySubscription = new Map(charges.map((charge) => [charge.subscription.id, charge]));
    const work = sources.flatMap((source) => source.subscriptionIds.map((subscriptionId) => ({ source, charge: bySubscription.get(subscriptionId) as DueCharge })));
    const chunks: Array<typeof work> = [];
    for (let start = 0; start < work.length; start += BILLING_CLAIMS_PER_APPEND) chunks.push(work.slice(start, start + BILLING_CLAIMS_PER_APPEND));
    const landed = new Map<string, Claimed>();
    await forEachBounded(chunks, BILLING_CLAIM_APPENDS_IN_FLIGHT_MAX, async (chunk) => {
      for (const claimed of await this.claimChunk(chunk, context)) landed.set(claimed.subscription.id, claimed);
    });
    return sources.flatMap((source) => {
      const claims = source.subscriptionIds.flatMap((subscriptionId) => landed.get(subscriptionId) ?? []);
      if (claims.length === 0) return [];
      const subscriptionIds = claims.map((claim) => claim.subscription.id);
      return [{ source: { ...source, subscriptionIds, drafts: claims.flatMap((claim) => claim.lines) }, claims }];
    });
  }

  /**
   * A chunk's claims in one all-or-nothing append. If a subscription moved on since it was planned,
   * nothing was written: the chunk falls back to one append per subscription, so only that one is
   * left to the next run. The claims' ids are the same either way, so a retry writes nothing twice.
   */
  private async claimChunk(chunk: ReadonlyArray<{ source: InvoiceSource; charge: DueCharge }>, context: CommandContext): Promise<Claimed[]> {
    const claims = chunk.map(({ source, charge }) => ({ charge, event: claimEvent(source, charge), key: claimKey(source, charge) }));
    try {
      await this.runtime.eventStore.appendMany(
        claims.map(({ charge, event, key }) => ({
          streamId: streams.subscription(charge.subscription.id),
          events: toNewEvents([event], context, key),
          expectedRevision: charge.revision === null ? 'no_stream' : charge.revision,
        })),
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      const landed: Array<Claimed | null> = new Array(chunk.length).fill(null);
      await forEachBounded([...chunk.entries()], BILLING_WRITES_IN_FLIGHT_MAX, async ([index, { source, charge }]) => {
        landed[index] = await this.claim(source, charge, context);
      });
      return landed.filter((claimed) => claimed !== null);
    }
    return claims.map(({ charge, event }) => claimedBy(charge, event));
  }

  private async claim(source: InvoiceSource, charge: DueCharge, context: CommandContext): Promise<Claimed | null> {
    const subscriptionId = charge.subscription.id;
    const event = claimEvent(source, charge);
    try {
      await this.runtime.eventStore.append(
        streams.subscription(subscriptionId),
        toNewEvents([event], context, claimKey(source, charge)),
        { expectedRevision: charge.revision === null ? 'no_stream' : charge.revision },
      );
    } catch (error) {
      // Another run (or a change) wrote first; what is still due is billed by the next run.
      if (error instanceof WrongExpectedRevisionError) return null;
      throw error;
    }
    return claimedBy(charge, event);
  }

  /**
   * The invoices of claims no invoice holds yet, priced from what the run holds (the claimed
   * subscriptions, the customers read model, cached coupons and tax rates: the same inputs
   * `withPricing` reads back), in one multi-stream append. Answers the drafts to issue, in page order.
   */
  private async createInvoices(
    claimed: ReadonlyArray<{ source: InvoiceSource; claims: Claimed[] }>,
    customers: ReadonlyMap<string, BillingCustomer>,
    cache: RunCache,
    context: CommandContext,
    track: (invoiceId: string, position: bigint | null) => void,
  ): Promise<InvoiceView[]> {
    const batches: StreamBatch[] = [];
    const drafts: InvoiceView[] = [];
    for (const { source, claims } of claimed) {
      const created = invoiceCreated(await this.priced(source, claims, customers, cache));
      batches.push({ streamId: streams.invoice(source.id), events: toNewEvents([created], context, `billing-run:${source.id}`) });
      drafts.push(invoiceDecider.evolve(invoiceDecider.initialState(), created) as InvoiceView);
    }
    if (batches.length === 0) return [];
    const appended = await this.runtime.eventStore.appendNewMany(batches);
    // The same event already stored: this invoice was created before (its own id); answer it as it is.
    const duplicates = new Set(appended.duplicateIds);
    const toIssue: InvoiceView[] = [];
    for (const [index, batch] of batches.entries()) {
      if (!duplicates.has(batch.events[0].id)) {
        toIssue.push(drafts[index]);
        continue;
      }
      const existing = await loadStream(this.runtime.eventStore, batch.streamId, invoiceDecider);
      if (existing.state.status === 'draft') toIssue.push(existing.state);
      else track(drafts[index].id, existing.lastPosition);
    }
    return toIssue;
  }

  private async priced(
    source: InvoiceSource,
    claims: readonly Claimed[],
    customers: ReadonlyMap<string, BillingCustomer>,
    cache: RunCache,
  ): Promise<InvoiceSource> {
    const customer = customers.get(source.customerId)?.profile;
    if (!customer) throw new Error(`invoice ${source.id}: customer ${source.customerId} is not in the read models`);
    const groups: SubscriptionLines[] = [];
    for (const { subscription, lines } of claims) {
      groups.push({ subscription, coupon: subscription.couponId === null ? null : await this.coupon(subscription.couponId, cache), lines });
    }
    const { discounts } = couponDiscountsFor(source.id, source.currency, groups);
    const taxKey = `${customer.country}|${customer.region ?? ''}|${customer.taxExempt}`;
    if (!cache.taxRates.has(taxKey)) cache.taxRates.set(taxKey, await customerTaxRate(this.runtime.sql, customer));
    return { ...source, pricing: { discounts, taxRate: cache.taxRates.get(taxKey) ?? null, taxExempt: customer.taxExempt } };
  }

  private async coupon(couponId: string, cache: RunCache): Promise<CouponDefinition | null> {
    if (!cache.coupons.has(couponId)) {
      const loaded = await loadStream(this.runtime.eventStore, streams.coupon(couponId), couponDecider);
      cache.coupons.set(couponId, loaded.state.status === 'active' ? loaded.state.coupon : null);
    }
    return cache.coupons.get(couponId) ?? null;
  }

  /**
   * Steps 2 and 3 for a crashed run's invoice, reading everything back from the log. Returns the
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
    } else if ((existing.state as InvoiceState).status !== 'draft') {
      return { toIssue: false, position: existing.lastPosition };
    }
    return { toIssue: true };
  }
}

/** Step 1's event: what the subscription billed, on which invoice, from which plan. */
function claimEvent(source: InvoiceSource, charge: DueCharge): SubscriptionBilled {
  return {
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
}

/** What a claim's event id derives from: the same for the chunk's append and the one-by-one fallback. */
function claimKey(source: InvoiceSource, charge: DueCharge): string {
  return `billed:${source.id}:${charge.subscription.id}`;
}

/** A landed claim: the subscription's state after it (for the invoice's coupon) and its lines. */
function claimedBy(charge: DueCharge, event: SubscriptionBilled): Claimed {
  return { subscription: subscriptionDecider.evolve(charge.subscription, event) as ActiveSubscription, lines: charge.plan.lines };
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
