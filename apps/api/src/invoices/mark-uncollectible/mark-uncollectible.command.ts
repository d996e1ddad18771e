import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { invoiceDecider, markInvoiceUncollectible, streams } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { MarkUncollectibleRequest } from './mark-uncollectible.request';

export class MarkUncollectibleCommand {
  constructor(
    readonly invoiceId: string,
    readonly request: MarkUncollectibleRequest,
    readonly context: CommandContext,
  ) {}
}

/** `POST /v1/invoices/:id/mark-uncollectible`: open → uncollectible (a write-off). Answers 200 with the invoice. */
@CommandHandler(MarkUncollectibleCommand)
export class MarkUncollectibleHandler implements ICommandHandler<MarkUncollectibleCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ invoiceId, request, context }: MarkUncollectibleCommand): Promise<CommandResult> {
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.invoice(invoiceId),
      invoiceDecider,
      (state) => markInvoiceUncollectible({ invoiceId, ...request, wallClockNow: context.receivedAtMs }, state),
      context,
    );
    return new CommandResult(200, decided.state, decided.position);
  }
}
