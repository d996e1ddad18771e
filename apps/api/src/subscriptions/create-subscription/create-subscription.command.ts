import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  CouponDefinition,
  couponDecider,
  createSubscription,
  customerDecider,
  ID_PATTERN,
  NotFoundError,
  PriceDefinition,
  priceDecider,
  streams,
  subscriptionDecider,
} from '@accrual/billing';
import { EventStore } from '@accrual/event-store';
import { CommandContext, handleCommand, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { CreateSubscriptionRequest } from './create-subscription.request';

export class CreateSubscriptionCommand {
  constructor(
    readonly request: CreateSubscriptionRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(CreateSubscriptionCommand)
export class CreateSubscriptionHandler implements ICommandHandler<CreateSubscriptionCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateSubscriptionCommand): Promise<CommandResult> {
    const store = this.runtime.eventStore;
    const id = request.id ?? newId('sub');
    const customer = await loadStream(store, streams.customer(request.customerId), customerDecider);
    if (customer.state.status === 'none') throw new NotFoundError('customer', request.customerId);
    const coupon = await loadCoupon(store, request.couponId);
    const prices = await loadPrices(store, request.items.map((item) => item.priceId));
    const customerCurrency = customer.state.customer.currency;
    const decided = await handleCommand(
      store,
      streams.subscription(id),
      subscriptionDecider,
      (state) => createSubscription({ ...request, id }, state, { customerCurrency, prices, coupon, wallClockNow: context.receivedAtMs }),
      context,
    );
    return new CommandResult(201, decided.state, decided.position);
  }
}

/**
 * The coupon named, from its own stream (not a read model: one just created counts at once); null
 * when none is named or it does not exist. The decider says which (unknown-coupon), and refuses a
 * malformed id as bad input before any stream is read by its name.
 */
async function loadCoupon(store: EventStore, couponId: unknown): Promise<CouponDefinition | null> {
  if (typeof couponId !== 'string' || !ID_PATTERN.test(couponId)) return null;
  const loaded = await loadStream(store, streams.coupon(couponId), couponDecider);
  return loaded.state.status === 'active' ? loaded.state.coupon : null;
}

export async function loadPrices(store: EventStore, ids: readonly string[]): Promise<Map<string, PriceDefinition>> {
  const prices = new Map<string, PriceDefinition>();
  for (const id of new Set(ids)) {
    const loaded = await loadStream(store, streams.price(id), priceDecider);
    if (loaded.state.status === 'active') prices.set(id, loaded.state.price);
  }
  return prices;
}
