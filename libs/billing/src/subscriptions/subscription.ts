import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, RuleViolationError } from '../shared/errors';
import { PriceDefinition, Recurring } from '../catalog/price';
import { Cadence } from '../time/calendar';
import { assertNotInFuture, formatInstant, Instant, parseInstant } from '../time/instant';
import { InvoiceLineDraft } from '../invoices/invoice-lines';
import { parseQuantityField } from '../usage/quantity';

export interface SubscriptionItem {
  priceId: string;
  /** Licensed quantity (seats); metered items bill the meter's aggregate instead. */
  quantity: string;
}

/** How far one item has been billed. Both bounds start at the service start. */
export interface ItemProgress {
  priceId: string;
  /** End of the last period billed in advance (licensed items). */
  licensedBilledUntil: string;
  /** End of the last period billed in arrears (metered items). */
  meteredBilledUntil: string;
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
}

export type SubscriptionCreated = DomainEvent<'SubscriptionCreated', SubscriptionCreatedData>;
export type SubscriptionBilled = DomainEvent<'SubscriptionBilled', SubscriptionBilledData>;
export type SubscriptionEvent = SubscriptionCreated | SubscriptionBilled;

export interface ActiveSubscription extends SubscriptionCreatedData {
  status: 'trialing' | 'active';
  progress: ItemProgress[];
  /** Invoices this subscription has put lines on, in order. */
  invoiceIds: string[];
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
        };
      }
      case 'SubscriptionBilled': {
        if (state.status === 'none') return state;
        return {
          ...state,
          status: 'active',
          progress: event.data.progress,
          invoiceIds: [...state.invoiceIds, event.data.invoiceId],
        };
      }
      default:
        return state;
    }
  },
};

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
        couponId: typeof command.couponId === 'string' ? command.couponId : null,
        items,
      },
    },
  ];
}

function instantField(errors: FieldError[], field: string, value: unknown, required: boolean): Instant | null {
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

function itemsField(errors: FieldError[], value: unknown): SubscriptionItem[] {
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

function checkPrices(items: SubscriptionItem[], context: CreateSubscriptionContext): void {
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
