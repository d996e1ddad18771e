import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findPayment, listPayments } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { decodeCursor, listPage, optionalIdParam, parseLimit } from '../shared/pagination';
import { ReceivePaymentCommand } from './receive-payment/receive-payment.command';
import { ReceivePaymentRequest } from './receive-payment/receive-payment.request';
import { RefundPaymentCommand } from './refund-payment/refund-payment.command';
import { RefundPaymentRequest } from './refund-payment/refund-payment.request';

@Controller('v1/payments')
export class PaymentsHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresAccess('command')
  receive(@Body() body: ReceivePaymentRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new ReceivePaymentCommand(body, context));
  }

  @Post(':id/refund')
  @HttpCode(200)
  @RequiresAccess('command')
  refund(@Param('id') id: string, @Body() body: RefundPaymentRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new RefundPaymentCommand(id, body, context));
  }

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const payment = await findPayment(this.runtime.sql, id);
    if (!payment) throw new NotFoundError('payment', id);
    return payment;
  }

  @Get()
  @RequiresAccess('query')
  async list(@Query() query: Record<string, unknown>): Promise<unknown> {
    const page = await listPayments(this.runtime.sql, { customerId: optionalIdParam(query, 'customerId'), limit: parseLimit(query.limit), cursor: decodeCursor(query.cursor) });
    return listPage(page);
  }
}
