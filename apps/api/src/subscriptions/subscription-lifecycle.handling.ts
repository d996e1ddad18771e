import {
  ActiveSubscription,
  LifecycleContext,
  NotFoundError,
  statusAt,
  streams,
  SubscriptionEvent,
  subscriptionDecider,
  SubscriptionState,
  SubscriptionStatus,
} from '@accrual/billing';
import { CommandContext, handleCommand, loadStream, Runtime } from '@accrual/platform';
import { CommandResult } from '../http/command-result';
import { loadPrices } from './create-subscription/create-subscription.command';

/** A subscription as the API answers it: its state, with the status at the moment of answering. */
export type SubscriptionView = ActiveSubscription & { status: SubscriptionStatus };

export function subscriptionView(subscription: ActiveSubscription, now: number): SubscriptionView {
  return { ...subscription, status: statusAt(subscription, now) };
}

/**
 * The common path of change, cancel, pause and resume: 404 for an unknown subscription, then the
 * prices of every item the decision may touch (current, ended, and those named by the request),
 * then decide and append at the revision read (bounded retries on a concurrent write). Answers
 * 200 with the resulting state.
 */
export async function handleLifecycleCommand(
  runtime: Runtime,
  subscriptionId: string,
  requestedPriceIds: readonly string[],
  context: CommandContext,
  decide: (state: SubscriptionState, lifecycle: LifecycleContext) => SubscriptionEvent[],
): Promise<CommandResult> {
  const store = runtime.eventStore;
  const stream = streams.subscription(subscriptionId);
  const loaded = await loadStream(store, stream, subscriptionDecider);
  if (loaded.state.status === 'none') throw new NotFoundError('subscription', subscriptionId);
  const known = loaded.state;
  const priceIds = [...known.items, ...known.progress].map((item) => item.priceId).concat(requestedPriceIds);
  const prices = await loadPrices(store, priceIds);
  const decided = await handleCommand(
    store,
    stream,
    subscriptionDecider,
    (state) => decide(state, { prices, wallClockNow: context.receivedAtMs }),
    context,
  );
  return new CommandResult(200, subscriptionView(decided.state as ActiveSubscription, context.receivedAtMs), decided.position);
}
