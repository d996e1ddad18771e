import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { InvalidInputError, NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findInvoice, listInvoices } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { decodeCursor, listPage, optionalIdParam, parseLimit } from '../shared/pagination';
import { CreateInvoiceCommand } from './create-invoice/create-invoice.command';
import { CreateInvoiceRequest, IssueInvoiceRequest } from './create-invoice/create-invoice.request';
import { IssueInvoiceCommand } from './issue-invoice/issue-invoice.command';
import { MarkUncollectibleCommand } from './mark-uncollectible/mark-uncollectible.command';
import { MarkUncollectibleRequest } from './mark-uncollectible/mark-uncollectible.request';
import { VoidInvoiceCommand } from './void-invoice/void-invoice.command';
import { VoidInvoiceRequest } from './void-invoice/void-invoice.request';

const STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'];

@Controller('v1/invoices')
export class InvoicesHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresAccess('command')
  create(@Body() body: CreateInvoiceRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new CreateInvoiceCommand(body, context));
  }

  @Post(':id/issue')
  @HttpCode(200)
  @RequiresAccess('command')
  issue(@Param('id') id: string, @Body() body: IssueInvoiceRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new IssueInvoiceCommand(id, body.issuedAt, context));
  }

  @Post(':id/void')
  @HttpCode(200)
  @RequiresAccess('command')
  void(@Param('id') id: string, @Body() body: VoidInvoiceRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new VoidInvoiceCommand(id, body, context));
  }

  @Post(':id/mark-uncollectible')
  @HttpCode(200)
  @RequiresAccess('command')
  markUncollectible(@Param('id') id: string, @Body() body: MarkUncollectibleRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new MarkUncollectibleCommand(id, body, context));
  }

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const invoice = await findInvoice(this.runtime.sql, id);
    if (!invoice) throw new NotFoundError('invoice', id);
    return invoice;
  }

  @Get()
  @RequiresAccess('query')
  async list(@Query() query: Record<string, unknown>): Promise<unknown> {
    const customerId = optionalIdParam(query, 'customerId');
    const { status } = query;
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) {
      throw InvalidInputError.field('status', `must be one of ${STATUSES.join(', ')}`);
    }
    const page = await listInvoices(this.runtime.sql, {
      customerId,
      status: status as string | undefined,
      limit: parseLimit(query.limit),
      cursor: decodeCursor(query.cursor),
    });
    return listPage(page);
  }
}
