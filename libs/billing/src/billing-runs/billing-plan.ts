import Big from 'big.js';
import { parseQuantity } from '@accrual/money';
import { amountFor } from '../catalog/pricing';
import { PriceDefinition } from '../catalog/price';
import { InvoiceLineDraft, roundLineAmount } from '../invoices/invoice-lines';
import { ActiveSubscription, cadenceOf, cycleReference, ItemProgress } from '../subscriptions/subscription';
import { boundary, Cadence, periodIndexAt } from '../time/calendar';
import { daysBetween, formatInstant, Instant } from '../time/instant';

/**
 * Billing a subscription at `asOf`, in two pure steps, because usage lives outside the stream:
 * 1. `meteredPeriodsDue` names the closed metered periods whose usage the caller must aggregate;
 * 2. `planBilling` turns the due periods (licensed in advance, metered in arrears) into lines
 *    and the items' new progress.
 * Missed periods are caught up one by one; the same state, prices, usage and `asOf` always give
 * the same plan.
 */

/** A limit on catching up: at most this many periods per item in one run. */
export const MAX_PERIODS_PER_RUN = 1000;

export interface MeteredPeriod {
  priceId: string;
  meterCode: string;
  periodStart: string;
  periodEnd: string;
}

export interface BillingPlan {
  lines: InvoiceLineDraft[];
  progress: ItemProgress[];
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
    for (const [start, end] of closedPeriods(context, Date.parse(progress.meteredBilledUntil), asOf)) {
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
): BillingPlan {
  const lines: InvoiceLineDraft[] = [];
  const progress = subscription.progress.map((item) => {
    const context = itemContext(subscription, prices, item.priceId);
    const quantity = subscription.items.find((candidate) => candidate.priceId === item.priceId)?.quantity ?? '1';
    return context.price.recurring?.usage === 'metered'
      ? billMetered(context, item, asOf, usage, lines)
      : billLicensed(context, item, quantity, asOf, subscription.currency, lines);
  });
  return { lines, progress };
}

/** Licensed items bill each period in advance, at its start; a stub period is prorated by days. */
function billLicensed(
  context: ItemContext,
  item: ItemProgress,
  quantity: string,
  asOf: Instant,
  currency: string,
  lines: InvoiceLineDraft[],
): ItemProgress {
  let start = Date.parse(item.licensedBilledUntil);
  for (let count = 0; start <= asOf && count < MAX_PERIODS_PER_RUN; count += 1) {
    const k = periodIndexAt(context.reference, context.cadence, start);
    const fullStart = boundary(context.reference, context.cadence, k);
    const end = boundary(context.reference, context.cadence, k + 1);
    const full = amountFor(context.price, parseQuantity(quantity));
    const prorated = start > fullStart;
    const factor = prorated ? prorationFactor(start, fullStart, end) : null;
    const amount = factor ? full.times(factor.numerator).div(factor.denominator) : full;
    if (!amount.eq('0')) {
      lines.push(line(context.price, quantity, roundLineAmount(amount, currency), start, end, prorated));
    }
    start = end;
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
): ItemProgress {
  let billedUntil = Date.parse(item.meteredBilledUntil);
  for (const [start, end] of closedPeriods(context, billedUntil, asOf)) {
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
    billedUntil = end;
  }
  return { ...item, meteredBilledUntil: formatInstant(billedUntil) };
}

/** Periods [start, end) from `from` whose end is at or before `asOf`. */
function closedPeriods(context: ItemContext, from: Instant, asOf: Instant): Array<[Instant, Instant]> {
  const periods: Array<[Instant, Instant]> = [];
  let start = from;
  while (periods.length < MAX_PERIODS_PER_RUN) {
    const end = boundary(context.reference, context.cadence, periodIndexAt(context.reference, context.cadence, start) + 1);
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
 * The earliest instant at which a billing run finds something to bill: a licensed period's
 * start, or a metered period's end. Null when no item can bill (prices missing).
 */
export function nextBillingAt(subscription: ActiveSubscription, prices: ReadonlyMap<string, PriceDefinition>): Instant | null {
  let earliest: Instant | null = null;
  for (const item of subscription.progress) {
    const price = prices.get(item.priceId);
    if (!price?.recurring) continue;
    const context: ItemContext = { price, cadence: cadenceOf(price.recurring), reference: cycleReference(subscription) };
    const due =
      price.recurring.usage === 'metered'
        ? boundary(context.reference, context.cadence, periodIndexAt(context.reference, context.cadence, Date.parse(item.meteredBilledUntil)) + 1)
        : Date.parse(item.licensedBilledUntil);
    earliest = earliest === null || due < earliest ? due : earliest;
  }
  return earliest;
}
