import { Money, parseQuantity } from '@accrual/money';
import { amountFor } from '../catalog/pricing';
import { PriceDefinition } from '../catalog/price';
import { InvoiceLineDraft, roundLineAmount } from '../invoices/invoice-lines';
import { MAX_PERIODS_PER_RUN, partOfPeriod, prorate } from '../billing-runs/billing-plan';
import { ConflictError, FieldError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { boundary, nextBoundaryAfter, periodIndexAt } from '../time/calendar';
import { assertNotInFuture, formatInstant, Instant } from '../time/instant';
import {
  ActiveSubscription,
  cadenceOf,
  checkPrices,
  cycleReference,
  instantField,
  ItemProgress,
  itemsField,
  quantityOf,
  serviceStartOf,
  SubscriptionEvent,
  SubscriptionItem,
  SubscriptionState,
} from './subscription';

/**
 * Changing, cancelling, pausing and resuming a subscription (docs/billing.md, "Changing,
 * cancelling and pausing"). Every decision ends the affected items at one instant: an ended item
 * keeps its progress until what it owes up to that instant is billed (metered usage in arrears,
 * licensed time not yet billed), and licensed time already billed past that instant is credited
 * at once, by days, on lines that wait for the next invoice. Items that start at the instant
 * begin their own progress there, in the subscription's original cycle, so the next run bills
 * their first, prorated, period.
 */

/** What the handler loaded: the prices of the items, old and new. */
export interface LifecycleContext {
  prices: ReadonlyMap<string, PriceDefinition>;
  wallClockNow: Instant;
}

export interface ChangeItems {
  subscriptionId: string;
  effectiveAt: unknown;
  items: unknown;
  prorate?: unknown;
}

export interface CancelSubscription {
  subscriptionId: string;
  at?: unknown;
  prorate?: unknown;
  atPeriodEnd?: unknown;
}

export interface PauseOrResume {
  subscriptionId: string;
  at: unknown;
}

export function changeItems(command: ChangeItems, state: SubscriptionState, context: LifecycleContext): SubscriptionEvent[] {
  const subscription = runningSubscription(command.subscriptionId, state);
  const errors: FieldError[] = [];
  const effectiveAt = instantField(errors, 'effectiveAt', command.effectiveAt, true) as Instant;
  const items = itemsField(errors, command.items);
  const prorate = booleanField(errors, 'prorate', command.prorate, true);
  if (errors.length > 0) throw new InvalidInputError(errors);
  checkInstant('effectiveAt', effectiveAt, subscription, context);
  checkPrices(items, { customerCurrency: subscription.currency, prices: context.prices });
  if (sameItems(subscription.items, items)) return [];
  const { progress, prorationLines } = replaceItems(subscription, items, effectiveAt, prorate, context.prices);
  return [
    {
      type: 'SubscriptionChanged',
      data: {
        subscriptionId: subscription.id,
        customerId: subscription.customerId,
        effectiveAt: formatInstant(effectiveAt),
        prorate,
        items,
        progress,
        prorationLines,
      },
    },
  ];
}

export function cancelSubscription(command: CancelSubscription, state: SubscriptionState, context: LifecycleContext): SubscriptionEvent[] {
  const subscription = existing(command.subscriptionId, state);
  if (subscription.status === 'canceled' || subscription.cancelAt !== null) {
    throw new ConflictError('subscription-canceled', `subscription ${subscription.id} is canceled already`);
  }
  const atPeriodEnd = command.atPeriodEnd === true;
  if (command.atPeriodEnd !== undefined && command.atPeriodEnd !== null && command.atPeriodEnd !== true) {
    throw InvalidInputError.field('atPeriodEnd', 'must be true when given; to cancel now, give `at`');
  }
  if (atPeriodEnd) return cancelAtPeriodEnd(subscription, command, context);
  const errors: FieldError[] = [];
  const at = instantField(errors, 'at', command.at, true) as Instant;
  const prorate = booleanField(errors, 'prorate', command.prorate, false);
  if (errors.length > 0) throw new InvalidInputError(errors);
  checkInstant('at', at, subscription, context);
  const { progress, prorationLines } = endItems(subscription, at, prorate, context.prices);
  return [
    {
      type: 'SubscriptionCanceled',
      data: {
        subscriptionId: subscription.id,
        customerId: subscription.customerId,
        at: formatInstant(at),
        atPeriodEnd: false,
        prorate,
        progress,
        prorationLines,
      },
    },
  ];
}

export function pauseSubscription(command: PauseOrResume, state: SubscriptionState, context: LifecycleContext): SubscriptionEvent[] {
  const subscription = runningSubscription(command.subscriptionId, state);
  const at = requiredInstant('at', command.at);
  checkInstant('at', at, subscription, context);
  // A pause always gives back the licensed time already billed past it: paused time is not billed.
  const { progress, prorationLines } = endItems(subscription, at, true, context.prices);
  return [
    {
      type: 'SubscriptionPaused',
      data: { subscriptionId: subscription.id, customerId: subscription.customerId, at: formatInstant(at), progress, prorationLines },
    },
  ];
}

export function resumeSubscription(command: PauseOrResume, state: SubscriptionState, context: LifecycleContext): SubscriptionEvent[] {
  const subscription = existing(command.subscriptionId, state);
  assertNotCanceled(subscription);
  if (subscription.status !== 'paused') {
    throw new ConflictError('subscription-not-paused', `subscription ${subscription.id} is not paused`);
  }
  const at = requiredInstant('at', command.at);
  checkInstant('at', at, subscription, context);
  const progress = [...subscription.progress, ...subscription.items.map((item) => startItem(subscription, item.priceId, Math.max(at, serviceStartOf(subscription))))];
  return [
    {
      type: 'SubscriptionResumed',
      data: { subscriptionId: subscription.id, customerId: subscription.customerId, at: formatInstant(at), progress },
    },
  ];
}

// ---- Refusals ------------------------------------------------------------------------------

function existing(subscriptionId: string, state: SubscriptionState): ActiveSubscription {
  if (state.status === 'none') throw new NotFoundError('subscription', subscriptionId);
  return state;
}

function assertNotCanceled(subscription: ActiveSubscription): void {
  if (subscription.status === 'canceled') {
    throw new ConflictError('subscription-canceled', `subscription ${subscription.id} is canceled`);
  }
}

/** Changes and pauses need a subscription that runs: neither canceled nor paused. */
function runningSubscription(subscriptionId: string, state: SubscriptionState): ActiveSubscription {
  const subscription = existing(subscriptionId, state);
  assertNotCanceled(subscription);
  if (subscription.status === 'paused') {
    throw new ConflictError('subscription-paused', `subscription ${subscription.id} is paused; resume it first`);
  }
  return subscription;
}

/**
 * A lifecycle instant is business time: at most 5 minutes ahead of the wall clock, not before
 * the subscription's start nor before its last change (changes apply in order), and before a
 * cancellation scheduled at the period end.
 */
function checkInstant(field: string, instant: Instant, subscription: ActiveSubscription, context: LifecycleContext): void {
  assertNotInFuture(field, instant, context.wallClockNow);
  if (instant < Date.parse(subscription.startDate)) {
    throw InvalidInputError.field(field, `must not be before the subscription's startDate (${subscription.startDate})`);
  }
  if (subscription.lastChangeAt !== null && instant < Date.parse(subscription.lastChangeAt)) {
    throw InvalidInputError.field(field, `must not be before the subscription's last change (${subscription.lastChangeAt})`);
  }
  if (subscription.cancelAt !== null && instant >= Date.parse(subscription.cancelAt)) {
    throw new ConflictError('subscription-canceled', `subscription ${subscription.id} ends at ${subscription.cancelAt}`);
  }
}

function requiredInstant(field: string, value: unknown): Instant {
  const errors: FieldError[] = [];
  const instant = instantField(errors, field, value, true);
  if (errors.length > 0) throw new InvalidInputError(errors);
  return instant as Instant;
}

function booleanField(errors: FieldError[], field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') errors.push({ field, message: 'must be true or false' });
  return value === true;
}

function sameItems(current: readonly SubscriptionItem[], next: readonly SubscriptionItem[]): boolean {
  const key = (items: readonly SubscriptionItem[]) =>
    items
      .map((item) => `${item.priceId}\u0000${item.quantity}`)
      .sort()
      .join('\u0001');
  return key(current) === key(next);
}

// ---- Ending and starting items -------------------------------------------------------------

interface Outcome {
  progress: ItemProgress[];
  prorationLines: InvoiceLineDraft[];
}

/**
 * The new item set at `at`: an item with the same price and quantity runs on untouched (a
 * metered item with the same price too: its quantity bills nothing); every other current item
 * ends at `at` and every other new item starts there.
 */
function replaceItems(
  subscription: ActiveSubscription,
  items: SubscriptionItem[],
  at: Instant,
  prorate: boolean,
  prices: ReadonlyMap<string, PriceDefinition>,
): Outcome {
  const progress: ItemProgress[] = [];
  const prorationLines: InvoiceLineDraft[] = [];
  const kept = new Set<string>();
  const endedBilledUntil = new Map<string, Instant>();
  for (const item of subscription.progress) {
    const price = priceOf(prices, item.priceId);
    const next = items.find((candidate) => candidate.priceId === item.priceId);
    const unchanged = next !== undefined && (isMetered(price) || next.quantity === quantityOf(subscription, item));
    if (item.quantity === undefined && unchanged) {
      progress.push(item);
      kept.add(item.priceId);
      continue;
    }
    if (item.quantity === undefined) endedBilledUntil.set(item.priceId, Date.parse(item.licensedBilledUntil));
    const ended = endItem(subscription, item, price, at, prorate);
    if (ended.item) progress.push(ended.item);
    prorationLines.push(...ended.credits);
  }
  for (const item of items.filter((candidate) => !kept.has(candidate.priceId))) {
    const price = priceOf(prices, item.priceId);
    const start = startOfNewItem(subscription, price, at, prorate, endedBilledUntil.get(item.priceId));
    progress.push(startItem(subscription, item.priceId, start));
  }
  return { progress, prorationLines };
}

/** Cancel or pause: every current item ends at `at`. */
function endItems(subscription: ActiveSubscription, at: Instant, prorate: boolean, prices: ReadonlyMap<string, PriceDefinition>): Outcome {
  const progress: ItemProgress[] = [];
  const prorationLines: InvoiceLineDraft[] = [];
  for (const item of subscription.progress) {
    const ended = endItem(subscription, item, priceOf(prices, item.priceId), at, prorate);
    if (ended.item) progress.push(ended.item);
    prorationLines.push(...ended.credits);
  }
  return { progress, prorationLines };
}

/**
 * Ends one item at `at`. With `prorate`, licensed time billed past `at` is credited, and the
 * unbilled period holding `at` will bill only up to it; without, nothing is credited and that
 * period bills whole. The item stays in the progress while anything before `at` is unbilled.
 */
function endItem(
  subscription: ActiveSubscription,
  item: ItemProgress,
  price: PriceDefinition,
  at: Instant,
  prorate: boolean,
): { item: ItemProgress | null; credits: InvoiceLineDraft[] } {
  // An item that ended before keeps its end: it only waits for its last lines.
  if (item.quantity !== undefined) return { item, credits: [] };
  const endsAt = item.endsAt === undefined ? at : Math.min(at, Date.parse(item.endsAt));
  const ended: ItemProgress = {
    ...item,
    endsAt: formatInstant(endsAt),
    quantity: quantityOf(subscription, item),
    lastPeriod: item.lastPeriod ?? (prorate ? 'prorated' : 'whole'),
  };
  if (isMetered(price)) {
    return { item: Date.parse(item.meteredBilledUntil) >= endsAt ? null : ended, credits: [] };
  }
  const credits = prorate ? unusedTimeCredits(subscription, ended, price, endsAt) : [];
  return { item: Date.parse(item.licensedBilledUntil) >= endsAt ? null : ended, credits };
}

/**
 * Credits for licensed time billed past `from`: one line per billed period, −(amount × days left
 * over days in the period), rounded half-up, naming [from, period end). Only time the item was
 * billed for is credited: from its own start (or the service start) to `licensedBilledUntil`.
 */
export function unusedTimeCredits(
  subscription: ActiveSubscription,
  item: ItemProgress,
  price: PriceDefinition,
  from: Instant,
): InvoiceLineDraft[] {
  const billedFrom = Math.max(from, Date.parse(item.startsAt ?? formatInstant(serviceStartOf(subscription))));
  const billedUntil = Date.parse(item.licensedBilledUntil);
  const reference = cycleReference(subscription);
  const cadence = cadenceOf(price.recurring as NonNullable<PriceDefinition['recurring']>);
  const quantity = quantityOf(subscription, item);
  const full = amountFor(price, parseQuantity(quantity));
  const credits: InvoiceLineDraft[] = [];
  if (billedFrom >= billedUntil) return credits;
  for (let k = periodIndexAt(reference, cadence, billedFrom); boundary(reference, cadence, k) < billedUntil; k += 1) {
    if (credits.length >= MAX_PERIODS_PER_RUN) {
      throw new RuleViolationError('too-many-periods-to-credit', `more than ${MAX_PERIODS_PER_RUN} billed periods lie after this instant`);
    }
    const periodStart = boundary(reference, cadence, k);
    const periodEnd = boundary(reference, cadence, k + 1);
    const start = Math.max(periodStart, billedFrom);
    const end = Math.min(periodEnd, billedUntil);
    const amount = Money.of(roundLineAmount(prorate(full, partOfPeriod(start, end, periodStart, periodEnd)), subscription.currency), subscription.currency);
    if (amount.isZero()) continue;
    credits.push({
      description: `Unused time on ${price.product}`,
      priceId: price.id,
      quantity,
      unitAmount: unitAmountOf(price),
      amount: amount.negated().toString(),
      periodStart: formatInstant(start),
      periodEnd: formatInstant(end),
      proration: true,
    });
  }
  return credits;
}

/**
 * Where a new item's licensed billing starts. With proration: at the change (the next run bills
 * the rest of the period, prorated). Without: at the next boundary of its cycle, since the
 * period in progress is paid for already, and never before an old item of the same price was
 * billed to. Before the service starts (a trial), at the service start either way.
 */
function startOfNewItem(
  subscription: ActiveSubscription,
  price: PriceDefinition,
  at: Instant,
  prorate: boolean,
  sameItemBilledUntil: Instant | undefined,
): Instant {
  const serviceStart = serviceStartOf(subscription);
  if (prorate || isMetered(price) || at <= serviceStart) return Math.max(at, serviceStart);
  const reference = cycleReference(subscription);
  const cadence = cadenceOf(price.recurring as NonNullable<PriceDefinition['recurring']>);
  const onBoundary = boundary(reference, cadence, periodIndexAt(reference, cadence, at)) === at;
  const nextPeriod = onBoundary ? at : nextBoundaryAfter(reference, cadence, at);
  return Math.max(nextPeriod, sameItemBilledUntil ?? nextPeriod);
}

/** A new item's progress: nothing billed before `start`; it ends with a scheduled cancellation. */
function startItem(subscription: ActiveSubscription, priceId: string, start: Instant): ItemProgress {
  return {
    priceId,
    licensedBilledUntil: formatInstant(start),
    meteredBilledUntil: formatInstant(start),
    startsAt: formatInstant(start),
    ...(subscription.cancelAt !== null ? { endsAt: subscription.cancelAt } : {}),
  };
}

// ---- Cancel at the period end --------------------------------------------------------------

/**
 * Service ends where the licensed time billed ends: the latest `licensedBilledUntil`, so nothing
 * paid for is lost. Where nothing runs past the wall clock yet (only metered items, or the
 * current period not billed yet), the end of the period in progress; in a trial, the trial's end.
 */
function cancelAtPeriodEnd(subscription: ActiveSubscription, command: CancelSubscription, context: LifecycleContext): SubscriptionEvent[] {
  if (command.at !== undefined || (command.prorate !== undefined && command.prorate !== false)) {
    throw InvalidInputError.field('atPeriodEnd', 'give either `at` (with `prorate`) or `atPeriodEnd: true`');
  }
  if (subscription.status === 'paused') {
    throw new ConflictError('subscription-paused', `subscription ${subscription.id} is paused; cancel it with \`at\``);
  }
  const at = currentPeriodEnd(subscription, context);
  const progress = subscription.progress.map((item) =>
    item.endsAt !== undefined ? item : { ...item, endsAt: formatInstant(at) },
  );
  return [
    {
      type: 'SubscriptionCanceled',
      data: {
        subscriptionId: subscription.id,
        customerId: subscription.customerId,
        at: formatInstant(at),
        atPeriodEnd: true,
        prorate: false,
        progress,
        prorationLines: [],
      },
    },
  ];
}

function currentPeriodEnd(subscription: ActiveSubscription, context: LifecycleContext): Instant {
  const now = context.wallClockNow;
  const serviceStart = serviceStartOf(subscription);
  if (now < serviceStart) return serviceStart;
  let end = Number.NEGATIVE_INFINITY;
  for (const item of subscription.progress.filter((candidate) => candidate.endsAt === undefined)) {
    const price = priceOf(context.prices, item.priceId);
    const cadence = cadenceOf(price.recurring as NonNullable<PriceDefinition['recurring']>);
    const inProgress = nextBoundaryAfter(cycleReference(subscription), cadence, now);
    end = Math.max(end, inProgress, isMetered(price) ? inProgress : Date.parse(item.licensedBilledUntil));
  }
  return Number.isFinite(end) ? end : now;
}

// ---- Helpers -------------------------------------------------------------------------------

function priceOf(prices: ReadonlyMap<string, PriceDefinition>, priceId: string): PriceDefinition {
  const price = prices.get(priceId);
  if (!price?.recurring) throw new RuleViolationError('unknown-price', `price ${priceId} does not exist`);
  return price;
}

function isMetered(price: PriceDefinition): boolean {
  return price.recurring?.usage === 'metered';
}

function unitAmountOf(price: PriceDefinition): string | null {
  return price.model === 'flat' ? price.flatAmount : price.model.startsWith('tiered') ? null : price.unitAmount;
}
