import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createTaxRate, streams, taxRateDecider } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { CreateTaxRateRequest } from './create-tax-rate.request';

export class CreateTaxRateCommand {
  constructor(
    readonly request: CreateTaxRateRequest,
    readonly context: CommandContext,
  ) {}
}

/** A tax rate of a country (and region), immutable once created (`tax-rate-<id>`). */
@CommandHandler(CreateTaxRateCommand)
export class CreateTaxRateHandler implements ICommandHandler<CreateTaxRateCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateTaxRateCommand): Promise<CommandResult> {
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.taxRate(request.id),
      taxRateDecider,
      (state) => createTaxRate(request, state),
      context,
    );
    return new CommandResult(201, decided.state.status === 'active' ? decided.state.taxRate : null, decided.position);
  }
}
