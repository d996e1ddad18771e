import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { couponDecider, createCoupon, streams } from '@accrual/billing';
import { CommandContext, handleCommand, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { CreateCouponRequest } from './create-coupon.request';

export class CreateCouponCommand {
  constructor(
    readonly request: CreateCouponRequest,
    readonly context: CommandContext,
  ) {}
}

/** A coupon, immutable once created (`coupon-<id>`). */
@CommandHandler(CreateCouponCommand)
export class CreateCouponHandler implements ICommandHandler<CreateCouponCommand, CommandResult> {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async execute({ request, context }: CreateCouponCommand): Promise<CommandResult> {
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.coupon(request.id),
      couponDecider,
      (state) => createCoupon(request, state),
      context,
    );
    return new CommandResult(201, decided.state.status === 'active' ? decided.state.coupon : null, decided.position);
  }
}
