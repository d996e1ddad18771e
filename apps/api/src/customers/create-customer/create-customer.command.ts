import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createCustomer, customerDecider, streams } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { CreateCustomerRequest } from './create-customer.request';

export class CreateCustomerCommand {
  constructor(
    readonly request: CreateCustomerRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(CreateCustomerCommand)
export class CreateCustomerHandler implements ICommandHandler<CreateCustomerCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateCustomerCommand): Promise<CommandResult> {
    const id = request.id ?? newId('cus');
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.customer(id),
      customerDecider,
      (state) => createCustomer({ ...request, id }, state),
      context,
    );
    const customer = decided.state.status === 'active' ? decided.state.customer : null;
    return new CommandResult(201, customer, decided.position);
  }
}
