import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { InvalidInputError } from '@accrual/billing';
import { CommandContext } from '@accrual/platform';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { RecordUsageCommand } from './record-usage/record-usage.command';

/** Usage bodies are checked event by event in the domain, so one bad event refuses only itself. */
@Controller('v1/usage')
export class UsageHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(202)
  @RequiresAccess('usage')
  record(@Body() body: unknown, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new RecordUsageCommand([body], true, context));
  }

  @Post('batch')
  @HttpCode(202)
  @RequiresAccess('usage')
  recordBatch(@Body() body: unknown, @Ctx() context: CommandContext): Promise<CommandResult> {
    const events = (body as { events?: unknown } | null)?.events;
    if (!Array.isArray(events)) throw InvalidInputError.field('events', 'must be a list of usage events');
    return this.commandBus.execute(new RecordUsageCommand(events, false, context));
  }
}
