import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createCustomer, customerDecider, streams, validateCreateCustomer } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { customerView } from '../customer-view';
import { CreateCustomerRequest } from './create-customer.request';

export class CreateCustomerCommand {
  constructor(
    readonly request: CreateCustomerRequest,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/customers`: validates the whole request, seals the personal fields under the
 * customer's own key (they reach the log only encrypted, docs/compliance.md), then decides.
 */
@CommandHandler(CreateCustomerCommand)
export class CreateCustomerHandler implements ICommandHandler<CreateCustomerCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateCustomerCommand): Promise<CommandResult> {
    const id = request.id ?? newId('cus');
    const { name: _name, email: _email, address: _address, ...profile } = request;
    const fields = validateCreateCustomer({ ...request, id });
    const personal = await this.runtime.personalDataVault.seal(id, fields);
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.customer(id),
      customerDecider,
      (state) => createCustomer({ ...profile, id, personal }, state),
      context,
    );
    const customer = decided.state.status === 'active' ? customerView(decided.state.customer, { erased: false, ...fields }) : null;
    return new CommandResult(201, customer, decided.position);
  }
}
