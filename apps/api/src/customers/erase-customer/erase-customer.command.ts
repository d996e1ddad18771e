import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { customerDecider, eraseCustomer, NotFoundError, streams } from '@accrual/billing';
import { CommandContext, ERASED_PERSONAL_DATA, handleCommand, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { customerView } from '../customer-view';

export class EraseCustomerCommand {
  constructor(
    readonly customerId: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/customers/:id/erase` (GDPR, docs/compliance.md): destroys the customer's data key,
 * then appends `CustomerErased` naming the actor. The key goes first: should the append fail,
 * the data is already unreadable and a retry records the erasure. A second erase appends nothing.
 * Answers 200 with the customer, personal fields null and `erased: true`; amounts are untouched.
 */
@CommandHandler(EraseCustomerCommand)
export class EraseCustomerHandler implements ICommandHandler<EraseCustomerCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ customerId, context }: EraseCustomerCommand): Promise<CommandResult> {
    const stream = streams.customer(customerId);
    // Only a customer that exists gets a tombstone, so an unknown id stays free to create.
    const before = await loadStream(this.runtime.eventStore, stream, customerDecider);
    if (before.state.status === 'none') throw new NotFoundError('customer', customerId);
    await this.runtime.personalDataVault.erase(customerId);
    const decided = await handleCommand(
      this.runtime.eventStore,
      stream,
      customerDecider,
      (state) => eraseCustomer({ customerId, erasedBy: context.actor }, state),
      context,
    );
    const customer = decided.state.status === 'active' ? customerView(decided.state.customer, ERASED_PERSONAL_DATA) : null;
    return new CommandResult(200, customer, decided.position);
  }
}
