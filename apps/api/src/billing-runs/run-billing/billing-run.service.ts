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
  meteredPeriodsDue,
  PriceDefinition,
  planBilling,
  streams,
  SubscriptionBilled,
  SubscriptionCharge,
  subscriptionDecider,
} from '@accrual/billing';
import { WrongExpectedRevisionError } from '@accrual/event-store';
import { parseQuantity } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
import { aggregateUsage, BillingClaim, findMeter, subscriptionsDue, unfinishedClaims } from '@accrual/read-models';
import { loadPrices } from '../../subscriptions/create-subscription/create-subscription.command';
import { InvoiceIssuer } from '../../invoices/issue-invoice/invoice-issuer';
import { waitForReadModels } from '../../shared/read-models';

/** Subscriptions fetched per page of a run (a limit on everything). */
export const BILLING_PAGE_SIZE = 500;

/** A subscription's plan, with the revision it was planned at (the claim's expected revision). */
interface DueCharge extends SubscriptionCharge {
  revision: bigint | null;
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
    await waitForReadModels(this.runtime, await this.runtime.eventStore.headPosition());
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
      const ids = await subscriptionsDue(this.runtime.sql, formatInstant(asOf), BILLING_PAGE_SIZE, after);
      if (ids.length === 0) break;
      after = ids[ids.length - 1];
      const charges = await this.chargesFor(ids, asOf, prices);
      for (const source of consolidate(formatInstant(asOf), charges)) {
        const claimed = await this.claim(source, charges, context);
        if (claimed.drafts.length === 0) continue;
        track(source.id, await this.invoiceAndIssue(claimed, asOf, context));
      }
    }
    return { invoiceIds: [...invoiceIds], position };
  }

  private async chargesFor(ids: string[], asOf: Instant, prices: Map<string, PriceDefinition>): Promise<DueCharge[]> {
    const charges: DueCharge[] = [];
    for (const id of ids) {
      const loaded = await loadStream(this.runtime.eventStore, streams.subscription(id), subscriptionDecider);
      if (loaded.state.status === 'none') continue;
      const subscription = loaded.state;
      const missing = subscription.items.map((item) => item.priceId).filter((priceId) => !prices.has(priceId));
      for (const [priceId, price] of await loadPrices(this.runtime.eventStore, missing)) prices.set(priceId, price);
      const usage = await this.usageFor(subscription, prices, asOf);
      const plan = planBilling(subscription, prices, asOf, (period) =>
        parseQuantity(usage.get(`${period.priceId}|${period.periodStart}`) ?? '0'),
      );
      charges.push({ subscription, plan, revision: loaded.revision });
    }
    return charges;
  }

  /** The meter aggregates of every closed metered period, read from the usage read model. */
  private async usageFor(
    subscription: ActiveSubscription,
    prices: ReadonlyMap<string, PriceDefinition>,
    asOf: Instant,
  ): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    for (const period of meteredPeriodsDue(subscription, prices, asOf)) {
      const meter = await findMeter(this.runtime.sql, period.meterCode);
      if (!meter) continue;
      const value = await aggregateUsage(
        this.runtime.sql,
        { customerId: subscription.customerId, meterCode: period.meterCode, subscriptionId: subscription.id, from: period.periodStart, to: period.periodEnd },
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
        data: { customerId: source.customerId, invoiceId: source.id, asOf: source.billingRunAsOf as string, lines: charge.plan.lines, progress: charge.plan.progress },
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

  /** Steps 2 and 3: create the invoice (once) and issue it. Returns the last position written. */
  private async invoiceAndIssue(source: InvoiceSource, issuedAt: Instant, context: CommandContext): Promise<bigint | null> {
    const existing = await loadStream(this.runtime.eventStore, streams.invoice(source.id), invoiceDecider);
    if (existing.state.status === 'none') {
      await this.runtime.eventStore.append(
        streams.invoice(source.id),
        toNewEvents([invoiceCreated(source)], context, `billing-run:${source.id}`),
        { expectedRevision: 'no_stream' },
      );
    } else if (existing.state.status !== 'draft') {
      return existing.lastPosition;
    }
    const issued = await this.issuer.issue(source.id, issuedAt, context);
    return issued.position;
  }
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
