import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { assertNotInFuture, parseInstant } from '@accrual/billing';
import { CommandContext } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { InvoiceIssuer } from './invoice-issuer';

export class IssueInvoiceCommand {
  constructor(
    readonly invoiceId: string,
    readonly issuedAt: unknown,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(IssueInvoiceCommand)
export class IssueInvoiceHandler implements ICommandHandler<IssueInvoiceCommand, CommandResult> {
  constructor(private readonly issuer: InvoiceIssuer) {}

  async execute({ invoiceId, issuedAt, context }: IssueInvoiceCommand): Promise<CommandResult> {
    const instant = parseInstant('issuedAt', issuedAt);
    assertNotInFuture('issuedAt', instant, context.receivedAtMs);
    const issued = await this.issuer.issue(invoiceId, instant, context);
    return new CommandResult(200, issued.invoice, issued.position);
  }
}
