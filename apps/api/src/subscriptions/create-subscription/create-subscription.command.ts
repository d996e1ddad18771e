import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  createSubscription,
  customerDecider,
  NotFoundError,
  PriceDefinition,
  priceDecider,
  RuleViolationError,
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
    if (request.couponId) {
      throw new RuleViolationError('coupons-not-supported', 'coupons are not supported yet');
    }
    const prices = await loadPrices(store, request.items.map((item) => item.priceId));
    const customerCurrency = customer.state.customer.currency;
    const decided = await handleCommand(
      store,
      streams.subscription(id),
      subscriptionDecider,
      (state) => createSubscription({ ...request, id }, state, { customerCurrency, prices, wallClockNow: context.receivedAtMs }),
      context,
    );
    return new CommandResult(201, decided.state, decided.position);
  }
}

export async function loadPrices(store: EventStore, ids: readonly string[]): Promise<Map<string, PriceDefinition>> {
  const prices = new Map<string, PriceDefinition>();
  for (const id of new Set(ids)) {
    const loaded = await loadStream(store, streams.price(id), priceDecider);
    if (loaded.state.status === 'active') prices.set(id, loaded.state.price);
  }
  return prices;
}
