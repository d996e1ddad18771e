import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CommandContext } from '@accrual/platform';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { CreateCouponCommand } from './create-coupon/create-coupon.command';
import { CreateCouponRequest } from './create-coupon/create-coupon.request';
import { CreatePriceCommand } from './create-price/create-price.command';
import { CreatePriceRequest } from './create-price/create-price.request';
import { CreateTaxRateCommand } from './create-tax-rate/create-tax-rate.command';
import { CreateTaxRateRequest } from './create-tax-rate/create-tax-rate.request';
import { DefineMeterCommand } from './define-meter/define-meter.command';
import { DefineMeterRequest } from './define-meter/define-meter.request';

@Controller('v1')
export class CatalogHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('meters')
  @HttpCode(201)
  @RequiresAccess('command')
  defineMeter(@Body() body: DefineMeterRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new DefineMeterCommand(body, context));
  }

  @Post('prices')
  @HttpCode(201)
  @RequiresAccess('command')
  createPrice(@Body() body: CreatePriceRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreatePriceCommand(body, context));
  }

  @Post('coupons')
  @HttpCode(201)
  @RequiresAccess('command')
  createCoupon(@Body() body: CreateCouponRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreateCouponCommand(body, context));
  }

  @Post('tax-rates')
  @HttpCode(201)
  @RequiresAccess('command')
  createTaxRate(@Body() body: CreateTaxRateRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreateTaxRateCommand(body, context));
  }
}
