import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createDraftInvoice, customerDecider, invoiceDecider, NotFoundError, streams } from '@accrual/billing';
import { CommandContext, handleCommand, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { CreateInvoiceRequest } from './create-invoice.request';

export class CreateInvoiceCommand {
  constructor(
    readonly request: CreateInvoiceRequest,
    readonly context: CommandContext,
  ) {}
}

/** A draft one-off invoice, in the customer's currency. */
@CommandHandler(CreateInvoiceCommand)
export class CreateInvoiceHandler implements ICommandHandler<CreateInvoiceCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateInvoiceCommand): Promise<CommandResult> {
    const id = request.id ?? newId('inv');
    const customer = await loadStream(this.runtime.eventStore, streams.customer(request.customerId), customerDecider);
    if (customer.state.status === 'none') throw new NotFoundError('customer', request.customerId);
    const customerCurrency = customer.state.customer.currency;
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.invoice(id),
      invoiceDecider,
      (state) => createDraftInvoice({ ...request, id, customerCurrency }, state),
      context,
    );
    return new CommandResult(201, decided.state, decided.position);
  }
}
