import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { assertNotInFuture, parseInstant } from '@accrual/billing';
import { CommandContext } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { BillingRunService } from './billing-run.service';

export class RunBillingCommand {
  constructor(
    readonly asOf: unknown,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(RunBillingCommand)
export class RunBillingHandler implements ICommandHandler<RunBillingCommand, CommandResult> {
  constructor(private readonly billingRuns: BillingRunService) {}

  async execute({ asOf, context }: RunBillingCommand): Promise<CommandResult> {
    const instant = parseInstant('asOf', asOf);
    assertNotInFuture('asOf', instant, context.receivedAtMs);
    const outcome = await this.billingRuns.run(instant, context);
    return new CommandResult(200, { invoiceIds: outcome.invoiceIds }, outcome.position);
  }
}
