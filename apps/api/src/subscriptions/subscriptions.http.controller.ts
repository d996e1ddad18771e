import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findSubscription } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { CreateSubscriptionCommand } from './create-subscription/create-subscription.command';
import { CreateSubscriptionRequest } from './create-subscription/create-subscription.request';

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

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const subscription = await findSubscription(this.runtime.sql, id);
    if (!subscription) throw new NotFoundError('subscription', id);
    return subscription;
  }
}
