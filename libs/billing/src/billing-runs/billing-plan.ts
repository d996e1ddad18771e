import Big from 'big.js';
import { Money, parseQuantity } from '@accrual/money';
import { amountFor } from '../catalog/pricing';
import { PriceDefinition } from '../catalog/price';
import { InvoiceLineDraft, roundLineAmount } from '../invoices/invoice-lines';
import {
  ActiveSubscription,
  cadenceOf,
  cycleReference,
  ItemProgress,
  MeteredPeriodBilled,
  PendingLine,
  quantityOf,
} from '../subscriptions/subscription';
import { boundary, Cadence, periodIndexAt } from '../time/calendar';
import { daysBetween, formatInstant, Instant } from '../time/instant';

/**
 * Billing a subscription at `asOf`, in two pure steps, because usage lives outside the stream:
 * 1. `meteredPeriodsDue` names the closed metered periods whose usage the caller must aggregate;
 * 2. `planBilling` turns the due periods (licensed in advance, metered in arrears) into lines
 *    and the items' new progress, adds the proration lines a change, cancellation or pause left
 *    pending, and re-bills metered periods that received usage after they were billed.
 * Missed periods are caught up one by one; the same state, prices, usage and `asOf` always give
 * the same plan. Items that ended (`endsAt`) bill up to their end and then leave the progress.
 */

/** A limit on catching up: at most this many periods per item in one run. */
export const MAX_PERIODS_PER_RUN = 1000;

/** A limit on late-usage re-billing: at most this many periods per subscription in one run. */
export const MAX_LATE_PERIODS_PER_RUN = 100;

export interface MeteredPeriod {
  priceId: string;
  meterCode: string;
  periodStart: string;
  periodEnd: string;
}

export interface BillingPlan {
  lines: InvoiceLineDraft[];
  progress: ItemProgress[];
  /** The aggregate billed for each metered period, regular or late; absent when none was billed. */
  meteredBilled?: MeteredPeriodBilled[];
  /** How many pending proration lines (oldest first) the plan put on the invoice; absent when none. */
  pendingLinesBilled?: number;
}

/**
 * A metered period billed before that has received usage since: its aggregate as billed, and
 * as it is now (the caller re-aggregates the whole period).
 */
export interface LateUsagePeriod {
  priceId: string;
  periodStart: string;
  periodEnd: string;
  billedQuantity: string;
  quantity: Big;
}

interface ItemContext {
  price: PriceDefinition;
  cadence: Cadence;
  reference: Instant;
}

export type UsageLookup = (period: MeteredPeriod) => Big;

export function meteredPeriodsDue(
  subscription: ActiveSubscription,
  prices: ReadonlyMap<string, PriceDefinition>,
  asOf: Instant,
): MeteredPeriod[] {
  const periods: MeteredPeriod[] = [];
  for (const progress of subscription.progress) {
    const context = itemContext(subscription, prices, progress.priceId);
    if (context.price.recurring?.usage !== 'metered') continue;
    for (const [start, end] of closedPeriods(context, Date.parse(progress.meteredBilledUntil), asOf, endOf(progress))) {
      periods.push({
        priceId: progress.priceId,
        meterCode: context.price.recurring.meterCode as string,
        periodStart: formatInstant(start),
        periodEnd: formatInstant(end),
      });
    }
  }
  return periods;
}

export function planBilling(
  subscription: ActiveSubscription,
  prices: ReadonlyMap<string, PriceDefinition>,
  asOf: Instant,
  usage: UsageLookup,
  latePeriods: readonly LateUsagePeriod[] = [],
): BillingPlan {
  const pending = pendingLinesDue(subscription.pendingLines, asOf);
  const lines: InvoiceLineDraft[] = pending.map((pendingLine) => pendingLine.line);
  const meteredBilled: MeteredPeriodBilled[] = [];
  const progress: ItemProgress[] = [];
  for (const item of subscription.progress) {
    const context = itemContext(subscription, prices, item.priceId);
    const metered = context.price.recurring?.usage === 'metered';
    const next = metered
      ? billMetered(context, item, asOf, usage, lines, meteredBilled)
      : billLicensed(context, item, quantityOf(subscription, item), asOf, subscription.currency, lines);
    // An ended item whose time is all billed has nothing more to do on this subscription.
    if (!isFinished(next, metered)) progress.push(next);
  }
  billLateUsage(latePeriods, prices, subscription.currency, lines, meteredBilled);
  return {
    lines,
    progress,
    ...(meteredBilled.length > 0 ? { meteredBilled } : {}),
    ...(pending.length > 0 ? { pendingLinesBilled: pending.length } : {}),
  };
}

/** Pending lines are kept in the order of their instants, so the due ones are a prefix. */
function pendingLinesDue(pendingLines: readonly PendingLine[], asOf: Instant): PendingLine[] {
  const due: PendingLine[] = [];
  for (const pendingLine of pendingLines) {
    if (Date.parse(pendingLine.dueAt) > asOf) break;
    due.push(pendingLine);
  }
  return due;
}

function endOf(item: ItemProgress): Instant {
  return item.endsAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(item.endsAt);
}

/** An ended item is finished once it is billed up to its end (in advance or in arrears, by its price). */
export function isFinished(item: ItemProgress, metered: boolean): boolean {
  if (item.endsAt === undefined) return false;
  return Date.parse(metered ? item.meteredBilledUntil : item.licensedBilledUntil) >= Date.parse(item.endsAt);
}

/**
 * Licensed items bill each period in advance, at its start. A period that starts after its full
 * period's start (a stub, an item added mid-period) or ends early (an ended item, `prorated`) is
 * prorated by days over the whole period's days.
 */
function billLicensed(
  context: ItemContext,
  item: ItemProgress,
  quantity: string,
  asOf: Instant,
  currency: string,
  lines: InvoiceLineDraft[],
): ItemProgress {
  const endsAt = endOf(item);
  let start = Date.parse(item.licensedBilledUntil);
  for (let count = 0; start <= asOf && start < endsAt && count < MAX_PERIODS_PER_RUN; count += 1) {
    const k = periodIndexAt(context.reference, context.cadence, start);
    const fullStart = boundary(context.reference, context.cadence, k);
    const end = boundary(context.reference, context.cadence, k + 1);
    const until = item.lastPeriod === 'whole' ? end : Math.min(end, endsAt);
    const full = amountFor(context.price, parseQuantity(quantity));
    const prorated = start > fullStart || until < end;
    const amount = prorated ? prorate(full, partOfPeriod(start, until, fullStart, end)) : full;
    if (!amount.eq('0')) {
      lines.push(line(context.price, quantity, roundLineAmount(amount, currency), start, until, prorated));
    }
    start = until;
  }
  return { ...item, licensedBilledUntil: formatInstant(start) };
}

/** Metered items bill each closed period in arrears, from the meter's aggregate over it. */
function billMetered(
  context: ItemContext,
  item: ItemProgress,
  asOf: Instant,
  usage: UsageLookup,
  lines: InvoiceLineDraft[],
  billed: MeteredPeriodBilled[],
): ItemProgress {
  let billedUntil = Date.parse(item.meteredBilledUntil);
  for (const [start, end] of closedPeriods(context, billedUntil, asOf, endOf(item))) {
    const period: MeteredPeriod = {
      priceId: item.priceId,
      meterCode: context.price.recurring?.meterCode as string,
      periodStart: formatInstant(start),
      periodEnd: formatInstant(end),
    };
    const quantity = usage(period);
    const amount = amountFor(context.price, quantity);
    if (!amount.eq('0')) {
      lines.push(line(context.price, quantity.toFixed(), roundLineAmount(amount, context.price.currency), start, end, false));
    }
    billed.push({ priceId: item.priceId, periodStart: period.periodStart, periodEnd: period.periodEnd, quantity: quantity.toFixed() });
    billedUntil = end;
  }
  return { ...item, meteredBilledUntil: formatInstant(billedUntil) };
}

/**
 * Usage that arrived for a period already billed: the period's amount at its aggregate now, less
 * the amount billed for it, on a line naming the original period. Each billed amount is the
 * rounded amount of the aggregate billed, so a period's lines always add up to the rounded amount
 * of its final aggregate. The difference may be negative (`last`, volume tiers): a credit.
 */
function billLateUsage(
  periods: readonly LateUsagePeriod[],
  prices: ReadonlyMap<string, PriceDefinition>,
  currency: string,
  lines: InvoiceLineDraft[],
  billed: MeteredPeriodBilled[],
): void {
  for (const period of periods.slice(0, MAX_LATE_PERIODS_PER_RUN)) {
    const price = prices.get(period.priceId);
    if (!price?.recurring) throw new Error(`price ${period.priceId} of a late usage period is missing or not recurring`);
    const before = Money.of(roundLineAmount(amountFor(price, parseQuantity(period.billedQuantity)), currency), currency);
    const after = Money.of(roundLineAmount(amountFor(price, period.quantity), currency), currency);
    const difference = after.minus(before);
    if (!difference.isZero()) {
      lines.push({
        ...line(price, period.quantity.minus(parseQuantity(period.billedQuantity)).toFixed(), difference.toString(), Date.parse(period.periodStart), Date.parse(period.periodEnd), false),
        description: `${price.product} (late usage)`,
      });
    }
    billed.push({ priceId: period.priceId, periodStart: period.periodStart, periodEnd: period.periodEnd, quantity: period.quantity.toFixed() });
  }
}

/** Periods [start, end) from `from` whose end is at or before `asOf`; the last ends at `endsAt` at the latest. */
function closedPeriods(context: ItemContext, from: Instant, asOf: Instant, endsAt: Instant): Array<[Instant, Instant]> {
  const periods: Array<[Instant, Instant]> = [];
  let start = from;
  while (periods.length < MAX_PERIODS_PER_RUN && start < endsAt) {
    const end = Math.min(endsAt, boundary(context.reference, context.cadence, periodIndexAt(context.reference, context.cadence, start) + 1));
    if (end > asOf) break;
    periods.push([start, end]);
    start = end;
  }
  return periods;
}

/** Days left in the period over the days in the period (contract §4). */
export function prorationFactor(from: Instant, periodStart: Instant, periodEnd: Instant): { numerator: Big; denominator: Big } {
  return {
    numerator: parseQuantity(daysBetween(from, periodEnd)),
    denominator: parseQuantity(Math.max(1, daysBetween(periodStart, periodEnd))),
  };
}

/** The days of [from, to) over the days of the whole period [periodStart, periodEnd). */
export function partOfPeriod(from: Instant, to: Instant, periodStart: Instant, periodEnd: Instant): { numerator: Big; denominator: Big } {
  return {
    numerator: parseQuantity(Math.max(0, daysBetween(from, to))),
    denominator: parseQuantity(Math.max(1, daysBetween(periodStart, periodEnd))),
  };
}

/** An amount times a factor, at full precision (the line rounds it). */
export function prorate(amount: Big, factor: { numerator: Big; denominator: Big }): Big {
  return amount.times(factor.numerator).div(factor.denominator);
}

function itemContext(subscription: ActiveSubscription, prices: ReadonlyMap<string, PriceDefinition>, priceId: string): ItemContext {
  const price = prices.get(priceId);
  if (!price?.recurring) throw new Error(`price ${priceId} of subscription ${subscription.id} is missing or not recurring`);
  return { price, cadence: cadenceOf(price.recurring), reference: cycleReference(subscription) };
}

function line(
  price: PriceDefinition,
  quantity: string,
  amount: string,
  start: Instant,
  end: Instant,
  proration: boolean,
): InvoiceLineDraft {
  const unitAmount = price.model === 'flat' ? price.flatAmount : price.model.startsWith('tiered') ? null : price.unitAmount;
  return {
    description: proration ? `${price.product} (prorated)` : price.product,
    priceId: price.id,
    quantity,
    unitAmount,
    amount,
    periodStart: formatInstant(start),
    periodEnd: formatInstant(end),
    proration,
  };
}

/**
 * The earliest instant at which a billing run finds something to bill: a pending proration line,
 * a licensed period's start, or a metered period's end. Null when nothing will bill again
 * (every item ended and billed, or prices missing).
 */
export function nextBillingAt(subscription: ActiveSubscription, prices: ReadonlyMap<string, PriceDefinition>): Instant | null {
  let earliest: Instant | null = subscription.pendingLines.length > 0 ? Date.parse(subscription.pendingLines[0].dueAt) : null;
  for (const item of subscription.progress) {
    const price = prices.get(item.priceId);
    if (!price?.recurring) continue;
    const metered = price.recurring.usage === 'metered';
    if (isFinished(item, metered)) continue;
    const context: ItemContext = { price, cadence: cadenceOf(price.recurring), reference: cycleReference(subscription) };
    const due = metered
      ? Math.min(endOf(item), boundary(context.reference, context.cadence, periodIndexAt(context.reference, context.cadence, Date.parse(item.meteredBilledUntil)) + 1))
      : Date.parse(item.licensedBilledUntil);
    earliest = earliest === null || due < earliest ? due : earliest;
  }
  return earliest;
}
