import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createDraftInvoice, customerDecider, invoiceDecider, NotFoundError, streams } from '@accrual/billing';
import { CommandContext, handleCommand, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { customerTaxRate } from '../../catalog/invoice-pricing-inputs';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { waitForReadModels } from '../../shared/read-models';
import { CreateInvoiceRequest } from './create-invoice.request';

export class CreateInvoiceCommand {
  constructor(
    readonly request: CreateInvoiceRequest,
    readonly context: CommandContext,
  ) {}
}

/** A draft one-off invoice, in the customer's currency, taxed by the customer's tax rate. */
@CommandHandler(CreateInvoiceCommand)
export class CreateInvoiceHandler implements ICommandHandler<CreateInvoiceCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateInvoiceCommand): Promise<CommandResult> {
    const id = request.id ?? newId('inv');
    const customer = await loadStream(this.runtime.eventStore, streams.customer(request.customerId), customerDecider);
    if (customer.state.status === 'none') throw new NotFoundError('customer', request.customerId);
    const profile = customer.state.customer;
    // Tax rates are found by country in a read model: let it catch up with the log first, so a
    // tax rate created before this request applies to it.
    await waitForReadModels(this.runtime, await this.runtime.eventStore.headPosition());
    const taxRate = await customerTaxRate(this.runtime.sql, profile);
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.invoice(id),
      invoiceDecider,
      (state) =>
        createDraftInvoice({ ...request, id, customerCurrency: profile.currency, taxRate, taxExempt: profile.taxExempt }, state),
      context,
    );
    return new CommandResult(201, decided.state, decided.position);
  }
}
