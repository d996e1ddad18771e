import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { defineMeter, meterDecider, streams } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { DefineMeterRequest } from './define-meter.request';

export class DefineMeterCommand {
  constructor(
    readonly request: DefineMeterRequest,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(DefineMeterCommand)
export class DefineMeterHandler implements ICommandHandler<DefineMeterCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: DefineMeterCommand): Promise<CommandResult> {
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.meter(request.code),
      meterDecider,
      (state) => defineMeter(request, state),
      context,
    );
    return new CommandResult(201, decided.state.status === 'defined' ? decided.state.meter : null, decided.position);
  }
}
