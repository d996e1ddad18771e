import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError, StoredPersonalData } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findCustomer, findCustomerBalances } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { CreateCustomerCommand } from './create-customer/create-customer.command';
import { CreateCustomerRequest } from './create-customer/create-customer.request';
import { customerView } from './customer-view';
import { EraseCustomerCommand } from './erase-customer/erase-customer.command';
import { EraseCustomerRequest } from './erase-customer/erase-customer.request';

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

  @Post(':id/erase')
  @HttpCode(200)
  @RequiresAccess('erase')
  erase(@Param('id') id: string, @Body() _body: EraseCustomerRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new EraseCustomerCommand(id, context));
  }

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const customer = await findCustomer(this.runtime.sql, id);
    if (!customer) throw new NotFoundError('customer', id);
    // The read model holds the personal fields sealed: opened here, with the key, or shown erased.
    const personal = await this.runtime.personalDataVault.open(id, customer.personal ?? clearFieldsOf(customer));
    // What the customer owes and holds per currency (docs/billing.md, customer credit).
    return { ...customerView(customer, personal), balances: await findCustomerBalances(this.runtime.sql, id) };
  }
}

/** A row projected before schema version 2 holds the fields in the clear until the read models are rebuilt. */
function clearFieldsOf(legacy: object): StoredPersonalData {
  const { name, email } = legacy as { name: string; email: string };
  return { clear: { name, email, address: null } };
}
