import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findSubscription } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { CancelSubscriptionCommand } from './cancel-subscription/cancel-subscription.command';
import { CancelSubscriptionRequest } from './cancel-subscription/cancel-subscription.request';
import { ChangeSubscriptionCommand } from './change-subscription/change-subscription.command';
import { ChangeSubscriptionRequest } from './change-subscription/change-subscription.request';
import { CreateSubscriptionCommand } from './create-subscription/create-subscription.command';
import { CreateSubscriptionRequest } from './create-subscription/create-subscription.request';
import { PauseSubscriptionCommand } from './pause-subscription/pause-subscription.command';
import { PauseOrResumeRequest } from './pause-subscription/pause-subscription.request';
import { ResumeSubscriptionCommand } from './resume-subscription/resume-subscription.command';
import { subscriptionView } from './subscription-lifecycle.handling';

@Controller('v1/subscriptions')
export class SubscriptionsHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresAccess('command')
  create(@Body() body: CreateSubscriptionRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreateSubscriptionCommand(body, context));
  }

  @Post(':id/change')
  @HttpCode(200)
  @RequiresAccess('command')
  change(@Param('id') id: string, @Body() body: ChangeSubscriptionRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new ChangeSubscriptionCommand(id, body, context));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequiresAccess('command')
  cancel(@Param('id') id: string, @Body() body: CancelSubscriptionRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CancelSubscriptionCommand(id, body, context));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @RequiresAccess('command')
  pause(@Param('id') id: string, @Body() body: PauseOrResumeRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new PauseSubscriptionCommand(id, body, context));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @RequiresAccess('command')
  resume(@Param('id') id: string, @Body() body: PauseOrResumeRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new ResumeSubscriptionCommand(id, body, context));
  }

  /** The current state; a subscription canceled at its period end reads `canceled` from then on. */
  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const subscription = await findSubscription(this.runtime.sql, id);
    if (!subscription) throw new NotFoundError('subscription', id);
    return subscriptionView(subscription, Date.now());
  }
}
