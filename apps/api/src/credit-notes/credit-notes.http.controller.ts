import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { NotFoundError } from '@accrual/billing';
import { CommandContext, Runtime, RUNTIME } from '@accrual/platform';
import { findCreditNote, listCreditNotes } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { CommandResult, Ctx } from '../http/command-result';
import { decodeCursor, listPage, optionalIdParam, parseLimit } from '../shared/pagination';
import { IssueCreditNoteCommand } from './issue-credit-note/issue-credit-note.command';
import { IssueCreditNoteRequest } from './issue-credit-note/issue-credit-note.request';

@Controller('v1/credit-notes')
export class CreditNotesHttpController {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Post()
  @HttpCode(201)
  @RequiresAccess('command')
  issue(@Body() body: IssueCreditNoteRequest, @Ctx() context: CommandContext): Promise<CommandResult> {
    return this.commandBus.execute(new IssueCreditNoteCommand(body, context));
  }

  @Get(':id')
  @RequiresAccess('query')
  async get(@Param('id') id: string): Promise<unknown> {
    const note = await findCreditNote(this.runtime.sql, id);
    if (!note) throw new NotFoundError('credit-note', id);
    return note;
  }

  @Get()
  @RequiresAccess('query')
  async list(@Query() query: Record<string, unknown>): Promise<unknown> {
    const page = await listCreditNotes(this.runtime.sql, {
      invoiceId: optionalIdParam(query, 'invoiceId'),
      customerId: optionalIdParam(query, 'customerId'),
      limit: parseLimit(query.limit),
      cursor: decodeCursor(query.cursor),
    });
    return listPage(page);
  }
}
