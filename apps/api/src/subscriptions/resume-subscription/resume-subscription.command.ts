import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { resumeSubscription } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { PauseOrResumeRequest } from '../pause-subscription/pause-subscription.request';
import { handleLifecycleCommand } from '../subscription-lifecycle.handling';

/** Restarts service at `at` with the same items, in the original cycle (a prorated first period). */
export class ResumeSubscriptionCommand {
  constructor(
    readonly subscriptionId: string,
    readonly request: PauseOrResumeRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ResumeSubscriptionCommand)
export class ResumeSubscriptionHandler implements ICommandHandler<ResumeSubscriptionCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  execute({ subscriptionId, request, context }: ResumeSubscriptionCommand): Promise<CommandResult> {
    return handleLifecycleCommand(this.runtime, subscriptionId, [], context, (state, lifecycle) =>
      resumeSubscription({ subscriptionId, at: request.at }, state, lifecycle),
    );
  }
}
