import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { changeItems } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { handleLifecycleCommand } from '../subscription-lifecycle.handling';
import { ChangeSubscriptionRequest } from './change-subscription.request';

/** Replaces the item set at `effectiveAt`; proration lines go on the next invoice. */
export class ChangeSubscriptionCommand {
  constructor(
    readonly subscriptionId: string,
    readonly request: ChangeSubscriptionRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ChangeSubscriptionCommand)
export class ChangeSubscriptionHandler implements ICommandHandler<ChangeSubscriptionCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  execute({ subscriptionId, request, context }: ChangeSubscriptionCommand): Promise<CommandResult> {
    const priceIds = request.items.map((item) => item.priceId);
    return handleLifecycleCommand(this.runtime, subscriptionId, priceIds, context, (state, lifecycle) =>
      changeItems({ subscriptionId, effectiveAt: request.effectiveAt, items: request.items, prorate: request.prorate }, state, lifecycle),
    );
  }
}
