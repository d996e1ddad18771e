import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, RuleViolationError } from '../shared/errors';
import { PriceDefinition, Recurring } from '../catalog/price';
import type { CouponDefinition } from '../catalog/coupon';
import { ID_PATTERN } from '../shared/ids';
import { Cadence } from '../time/calendar';
import { assertNotInFuture, formatInstant, Instant, parseInstant } from '../time/instant';
import { InvoiceLineDraft } from '../invoices/invoice-lines';
import { parseQuantityField } from '../usage/quantity';

export interface SubscriptionItem {
  priceId: string;
  /** Licensed quantity (seats); metered items bill the meter's aggregate instead. */
  quantity: string;
}

/**
 * How far one item has been billed. Both bounds start at the service start. An item that a
 * change, a cancellation or a pause takes off the subscription stays here, with `endsAt` and its
 * `quantity`, until what it owes up to `endsAt` is billed (docs/billing.md, "Changing, cancelling
 * and pausing").
 */
export interface ItemProgress {
  priceId: string;
  /** End of the last period billed in advance (licensed items). */
  licensedBilledUntil: string;
  /** End of the last period billed in arrears (metered items). */
  meteredBilledUntil: string;
  /** Where the item's service began, when after the subscription's (an item added by a change or a resume). */
  startsAt?: string;
  /** Where the item's service ends (a change, a cancellation, a pause); absent: it runs on. */
  endsAt?: string;
  /** Set once the item has left `items`: the quantity it bills its remaining time with. */
  quantity?: string;
  /**
   * How an ended licensed item bills the unbilled period that holds `endsAt`: `prorated` up to
   * `endsAt` by days, or `whole`, as billing in advance would have (a change or cancel without
   * proration).
   */
  lastPeriod?: 'prorated' | 'whole';
}

/** A line decided by a change, a cancellation or a pause, waiting for the next billing run. */
export interface PendingLine {
  /** The instant the line became owed (the change's `effectiveAt`); a run bills it when `asOf` reaches it. */
  dueAt: string;
  line: InvoiceLineDraft;
}

/** The aggregate a run billed for one metered period, kept to bill usage that arrives late. */
export interface MeteredPeriodBilled {
  priceId: string;
  periodStart: string;
  periodEnd: string;
  quantity: string;
}

export interface SubscriptionCreatedData {
  id: string;
  customerId: string;
  currency: string;
  startDate: string;
  billingAnchor: string | null;
  trialEnd: string | null;
  couponId: string | null;
  items: SubscriptionItem[];
}

export interface SubscriptionBilledData {
  customerId: string;
  invoiceId: string;
  asOf: string;
  lines: InvoiceLineDraft[];
  progress: ItemProgress[];
  /** How many of the pending lines (oldest first) this invoice took (schema v2; v1: 0). */
  pendingLinesBilled: number;
  /** The aggregate billed for each metered period, regular or late (schema v2; v1: none). */
  meteredBilled: MeteredPeriodBilled[];
  /** The log position up to which usage was aggregated, a decimal string (schema v2; v1: null). */
  usageThrough: string | null;
}

/** `items` replaced at `effectiveAt`; `prorationLines` (credits for unused time) go on the next invoice. */
export interface SubscriptionChangedData {
  subscriptionId: string;
  customerId: string;
  effectiveAt: string;
  prorate: boolean;
  items: SubscriptionItem[];
  progress: ItemProgress[];
  prorationLines: InvoiceLineDraft[];
}

/** Service ends at `at`: now (`atPeriodEnd` false) or at the end of the current period. */
export interface SubscriptionCanceledData {
  subscriptionId: string;
  customerId: string;
  at: string;
  atPeriodEnd: boolean;
  prorate: boolean;
  progress: ItemProgress[];
  prorationLines: InvoiceLineDraft[];
}

/** Service stops at `at`; unused licensed time is credited. */
export interface SubscriptionPausedData {
  subscriptionId: string;
  customerId: string;
  at: string;
  progress: ItemProgress[];
  prorationLines: InvoiceLineDraft[];
}

/** Service restarts at `at` with the same items, in the original cycle. */
export interface SubscriptionResumedData {
  subscriptionId: string;
  customerId: string;
  at: string;
  progress: ItemProgress[];
}

export type SubscriptionCreated = DomainEvent<'SubscriptionCreated', SubscriptionCreatedData>;
export type SubscriptionBilled = DomainEvent<'SubscriptionBilled', SubscriptionBilledData>;
export type SubscriptionChanged = DomainEvent<'SubscriptionChanged', SubscriptionChangedData>;
export type SubscriptionCanceled = DomainEvent<'SubscriptionCanceled', SubscriptionCanceledData>;
export type SubscriptionPaused = DomainEvent<'SubscriptionPaused', SubscriptionPausedData>;
export type SubscriptionResumed = DomainEvent<'SubscriptionResumed', SubscriptionResumedData>;
export type SubscriptionEvent =
  | SubscriptionCreated
  | SubscriptionBilled
  | SubscriptionChanged
  | SubscriptionCanceled
  | SubscriptionPaused
  | SubscriptionResumed;

export type SubscriptionStatus = 'trialing' | 'active' | 'paused' | 'canceled';

export interface ActiveSubscription extends SubscriptionCreatedData {
  status: SubscriptionStatus;
  progress: ItemProgress[];
  /** Invoices this subscription has put lines on, in order. */
  invoiceIds: string[];
  /** Proration lines waiting for the next invoice, oldest first. */
  pendingLines: PendingLine[];
  /** The instant of the latest change, cancellation, pause or resume: the next may not be earlier. */
  lastChangeAt: string | null;
  /** Where service ends (canceled now, or at the end of the period); null while it runs on. */
  cancelAt: string | null;
  cancelAtPeriodEnd: boolean;
  pausedAt: string | null;
}

export type SubscriptionState = { status: 'none' } | ActiveSubscription;

export const subscriptionDecider = {
  initialState: (): SubscriptionState => ({ status: 'none' }),
  evolve(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
    switch (event.type) {
      case 'SubscriptionCreated': {
        const serviceStart = event.data.trialEnd ?? event.data.startDate;
        return {
          ...event.data,
          status: event.data.trialEnd ? 'trialing' : 'active',
          progress: event.data.items.map((item) => ({
            priceId: item.priceId,
            licensedBilledUntil: serviceStart,
            meteredBilledUntil: serviceStart,
          })),
          invoiceIds: [],
          pendingLines: [],
          lastChangeAt: null,
          cancelAt: null,
          cancelAtPeriodEnd: false,
          pausedAt: null,
        };
      }
      case 'SubscriptionBilled': {
        if (state.status === 'none') return state;
        const trialOver = state.status === 'trialing' && (state.trialEnd === null || event.data.asOf >= state.trialEnd);
        return {
          ...state,
          status: trialOver ? 'active' : state.status,
          progress: event.data.progress,
          invoiceIds: [...state.invoiceIds, event.data.invoiceId],
          pendingLines: state.pendingLines.slice(event.data.pendingLinesBilled),
        };
      }
      default:
        return state.status === 'none' ? state : evolveLifecycle(state, event);
    }
  },
};

/** Changes, cancellations, pauses and resumes: their decisions carry the items' new progress. */
function evolveLifecycle(
  state: ActiveSubscription,
  event: SubscriptionChanged | SubscriptionCanceled | SubscriptionPaused | SubscriptionResumed,
): ActiveSubscription {
  const pending = (at: string, lines: InvoiceLineDraft[]) => [...state.pendingLines, ...lines.map((line) => ({ dueAt: at, line }))];
  switch (event.type) {
    case 'SubscriptionChanged':
      return {
        ...state,
        items: event.data.items,
        progress: event.data.progress,
        pendingLines: pending(event.data.effectiveAt, event.data.prorationLines),
        lastChangeAt: event.data.effectiveAt,
      };
    case 'SubscriptionCanceled':
      return {
        ...state,
        // Canceled at the period end, it stays active until then (`statusAt` tells the time).
        status: event.data.atPeriodEnd ? state.status : 'canceled',
        progress: event.data.progress,
        pendingLines: pending(event.data.at, event.data.prorationLines),
        lastChangeAt: event.data.atPeriodEnd ? state.lastChangeAt : event.data.at,
        cancelAt: event.data.at,
        cancelAtPeriodEnd: event.data.atPeriodEnd,
      };
    case 'SubscriptionPaused':
      return {
        ...state,
        status: 'paused',
        progress: event.data.progress,
        pendingLines: pending(event.data.at, event.data.prorationLines),
        lastChangeAt: event.data.at,
        pausedAt: event.data.at,
      };
    case 'SubscriptionResumed':
      return {
        ...state,
        status: state.trialEnd !== null && event.data.at < state.trialEnd ? 'trialing' : 'active',
        progress: event.data.progress,
        lastChangeAt: event.data.at,
        pausedAt: null,
      };
  }
}

/** The status at an instant: a subscription canceled at its period end is canceled from then on. */
export function statusAt(subscription: ActiveSubscription, instant: Instant): SubscriptionStatus {
  if (subscription.cancelAt !== null && Date.parse(subscription.cancelAt) <= instant) return 'canceled';
  return subscription.status;
}

export interface CreateSubscription {
  id: string;
  customerId: string;
  startDate: unknown;
  items: unknown;
  billingAnchor?: unknown;
  trialEnd?: unknown;
  couponId?: unknown;
}

/** What the handler loaded for the decision: the customer's currency and the items' prices. */
export interface CreateSubscriptionContext {
  customerCurrency: string;
  prices: ReadonlyMap<string, PriceDefinition>;
  wallClockNow: Instant;
  /** The coupon the command names, as loaded (absent or null: it does not exist, or none was named). */
  coupon?: CouponDefinition | null;
}

export const MAX_SUBSCRIPTION_ITEMS = 20;

export function createSubscription(
  command: CreateSubscription,
  state: SubscriptionState,
  context: CreateSubscriptionContext,
): SubscriptionEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('subscription-exists', `subscription ${command.id} already exists`);
  }
  const errors: FieldError[] = [];
  const startDate = instantField(errors, 'startDate', command.startDate, true) as Instant;
  const billingAnchor = instantField(errors, 'billingAnchor', command.billingAnchor, false);
  const trialEnd = instantField(errors, 'trialEnd', command.trialEnd, false);
  const items = itemsField(errors, command.items);
  const couponId = couponIdField(errors, command.couponId);
  if (errors.length > 0) throw new InvalidInputError(errors);
  // startDate is business time (CONTRACT §2): backdating is allowed, the far future is not.
  assertNotInFuture('startDate', startDate, context.wallClockNow);
  if (trialEnd !== null && trialEnd <= startDate) {
    throw InvalidInputError.field('trialEnd', 'must be after startDate');
  }
  const serviceStart = trialEnd ?? startDate;
  if (billingAnchor !== null && billingAnchor < serviceStart) {
    throw InvalidInputError.field('billingAnchor', 'must not be before the service start (startDate, or trialEnd)');
  }
  checkPrices(items, context);
  checkCoupon(couponId, context);
  return [
    {
      type: 'SubscriptionCreated',
      data: {
        id: command.id,
        customerId: command.customerId,
        currency: context.customerCurrency,
        startDate: formatInstant(startDate),
        billingAnchor: billingAnchor === null ? null : formatInstant(billingAnchor),
        trialEnd: trialEnd === null ? null : formatInstant(trialEnd),
        couponId,
        items,
      },
    },
  ];
}

export function instantField(errors: FieldError[], field: string, value: unknown, required: boolean): Instant | null {
  if (value === undefined || value === null) {
    if (required) errors.push({ field, message: 'is required' });
    return null;
  }
  try {
    return parseInstant(field, value);
  } catch (error) {
    errors.push(...((error as InvalidInputError).errors ?? [{ field, message: String(error) }]));
    return null;
  }
}

export function itemsField(errors: FieldError[], value: unknown): SubscriptionItem[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SUBSCRIPTION_ITEMS) {
    errors.push({ field: 'items', message: `must be a list of 1 to ${MAX_SUBSCRIPTION_ITEMS} items` });
    return [];
  }
  const seen = new Set<string>();
  return value.map((raw: { priceId?: unknown; quantity?: unknown }, index) => {
    const priceId = raw?.priceId;
    if (typeof priceId !== 'string' || priceId.length === 0) {
      errors.push({ field: `items[${index}].priceId`, message: 'is required' });
    } else if (seen.has(priceId)) {
      errors.push({ field: `items[${index}].priceId`, message: 'appears twice; one item per price' });
    } else {
      seen.add(priceId);
    }
    const quantity = parseQuantityField(errors, `items[${index}].quantity`, raw?.quantity ?? '1');
    return { priceId: String(priceId), quantity: quantity ?? '1' };
  });
}

function couponIdField(errors: FieldError[], value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    errors.push({ field: 'couponId', message: 'must match ^[A-Za-z0-9_-]{1,64}$' });
    return null;
  }
  return value;
}

/** The coupon must exist, and an amount-off coupon must be in the currency the customer is billed in. */
function checkCoupon(couponId: string | null, context: CreateSubscriptionContext): void {
  if (couponId === null) return;
  const coupon = context.coupon;
  if (!coupon || coupon.id !== couponId) throw new RuleViolationError('unknown-coupon', `coupon ${couponId} does not exist`);
  if (coupon.currency !== null && coupon.currency !== context.customerCurrency) {
    throw new RuleViolationError(
      'currency-mismatch',
      `coupon ${couponId} takes ${coupon.amountOff} ${coupon.currency} off; the customer is billed in ${context.customerCurrency}`,
    );
  }
}

export function checkPrices(items: SubscriptionItem[], context: Pick<CreateSubscriptionContext, 'customerCurrency' | 'prices'>): void {
  for (const item of items) {
    const price = context.prices.get(item.priceId);
    if (!price) throw new RuleViolationError('unknown-price', `price ${item.priceId} does not exist`);
    if (!price.recurring) {
      throw new RuleViolationError('price-not-recurring', `price ${item.priceId} is one-time; subscriptions take recurring prices`);
    }
    if (price.currency !== context.customerCurrency) {
      throw new RuleViolationError(
        'currency-mismatch',
        `price ${item.priceId} is in ${price.currency}; the customer is billed in ${context.customerCurrency}`,
      );
    }
  }
}

/** The cadence of a recurring price. */
export function cadenceOf(recurring: Recurring): Cadence {
  return { interval: recurring.interval, intervalCount: recurring.intervalCount };
}

/** Boundaries of every item are counted from the billing anchor, else from the service start. */
export function cycleReference(subscription: SubscriptionCreatedData): Instant {
  return Date.parse(subscription.billingAnchor ?? subscription.trialEnd ?? subscription.startDate);
}

/** Where service (and billing) starts: the trial's end, else the start date. */
export function serviceStartOf(subscription: SubscriptionCreatedData): Instant {
  return Date.parse(subscription.trialEnd ?? subscription.startDate);
}

/** The quantity an item bills with: its own once it has left the items, else the item's. */
export function quantityOf(subscription: ActiveSubscription, item: ItemProgress): string {
  return item.quantity ?? subscription.items.find((candidate) => candidate.priceId === item.priceId)?.quantity ?? '1';
}
