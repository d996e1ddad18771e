import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { pauseSubscription } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { handleLifecycleCommand } from '../subscription-lifecycle.handling';
import { PauseOrResumeRequest } from './pause-subscription.request';

/** Stops service at `at`: nothing bills for paused time; unused licensed time is credited. */
export class PauseSubscriptionCommand {
  constructor(
    readonly subscriptionId: string,
    readonly request: PauseOrResumeRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(PauseSubscriptionCommand)
export class PauseSubscriptionHandler implements ICommandHandler<PauseSubscriptionCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  execute({ subscriptionId, request, context }: PauseSubscriptionCommand): Promise<CommandResult> {
    return handleLifecycleCommand(this.runtime, subscriptionId, [], context, (state, lifecycle) =>
      pauseSubscription({ subscriptionId, at: request.at }, state, lifecycle),
    );
  }
}
