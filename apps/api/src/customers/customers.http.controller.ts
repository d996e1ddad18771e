import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findCustomer, findCustomerBalances } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { CreateCustomerCommand } from './create-customer/create-customer.command';
import { CreateCustomerRequest } from './create-customer/create-customer.request';

@Controller('v1/customers')
export class CustomersHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresAccess('command')
  create(@Body() body: CreateCustomerRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreateCustomerCommand(body, context));
  }

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const customer = await findCustomer(this.runtime.sql, id);
    if (!customer) throw new NotFoundError('customer', id);
    // What the customer owes and holds per currency (docs/billing.md, customer credit).
    return { ...customer, balances: await findCustomerBalances(this.runtime.sql, id) };
  }
}
