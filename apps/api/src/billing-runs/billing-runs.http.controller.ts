import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { IsString } from 'class-validator';
import { CommandContext } from '@accrual/platform';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { RunBillingCommand } from './run-billing/run-billing.command';

export class RunBillingRequest {
  @IsString() asOf!: string;
}

@Controller('v1/billing-runs')
export class BillingRunsHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @RequiresAccess('command')
  run(@Body() body: RunBillingRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new RunBillingCommand(body.asOf, context));
  }
}
