import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { cancelSubscription } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { handleLifecycleCommand } from '../subscription-lifecycle.handling';
import { CancelSubscriptionRequest } from './cancel-subscription.request';

/** Cancels now (optionally crediting unused licensed time) or at the end of the current period. */
export class CancelSubscriptionCommand {
  constructor(
    readonly subscriptionId: string,
    readonly request: CancelSubscriptionRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(CancelSubscriptionCommand)
export class CancelSubscriptionHandler implements ICommandHandler<CancelSubscriptionCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  execute({ subscriptionId, request, context }: CancelSubscriptionCommand): Promise<CommandResult> {
    return handleLifecycleCommand(this.runtime, subscriptionId, [], context, (state, lifecycle) =>
      cancelSubscription({ subscriptionId, ...request }, state, lifecycle),
    );
  }
}
