import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { createPrice, meterDecider, priceDecider, RuleViolationError, streams } from '@accrual/billing';
import { CommandContext, handleCommand, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { CreatePriceRequest } from './create-price.request';

export class CreatePriceCommand {
  constructor(
    readonly request: CreatePriceRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(CreatePriceCommand)
export class CreatePriceHandler implements ICommandHandler<CreatePriceCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreatePriceCommand): Promise<CommandResult> {
    const id = request.id ?? newId('price');
    const meterCode = request.recurring?.meterCode;
    if (meterCode) {
      const meter = await loadStream(this.runtime.eventStore, streams.meter(meterCode), meterDecider);
      if (meter.state.status === 'none') {
        throw new RuleViolationError('unknown-meter', `meter ${meterCode} does not exist; define it first`);
      }
    }
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.price(id),
      priceDecider,
      (state) => createPrice({ ...request, id }, state),
      context,
    );
    return new CommandResult(201, decided.state.status === 'active' ? decided.state.price : null, decided.position);
  }
}
