import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@accrual/billing';
import { RecordedEvent } from '@accrual/event-store';
import { Runtime, RUNTIME } from '@accrual/platform';
import { RequiresAccess } from '../http/access';
import { parseLimit } from '../shared/pagination';
import { jsonInteger, toAuditEvent } from './audit-event';

/** Stream ids are `<kind>-<id>` (CONTRACT §2): a kind of a few words and an id of up to 64 characters. */
const STREAM_ID = /^[A-Za-z0-9_-]{1,128}$/;
const WHOLE_NUMBER = /^\d{1,30}$/;

/**
 * The audit trail (CONTRACT §6), read from the log itself, never the read models: a stream's
 * history, the log in order, and the tamper-evidence check. Pages follow the list convention
 * (`{data, nextCursor}`, `limit` ≤ 500); here the cursor is a plain revision or position, since
 * both are public (docs/api.md, "Audit").
 */
@Controller('v1/audit')
export class AuditHttpController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('streams/:streamId')
  @RequiresAccess('audit')
  async stream(@Param('streamId') streamId: string, @Query() query: Record<string, unknown>): Promise<unknown> {
    if (!STREAM_ID.test(streamId)) throw InvalidInputError.field('streamId', 'must match ^[A-Za-z0-9_-]{1,128}$');
    const limit = parseLimit(query.limit);
    const fromVersion = wholeNumber(query, 'cursor') ?? 0n;
    const events = await this.runtime.eventStore.readStream(streamId, { fromRevision: fromVersion, maxCount: limit + 1 });
    if (events.length === 0 && fromVersion === 0n) throw new NotFoundError('stream', streamId);
    return this.page(events, limit, (last) => last.revision + 1n);
  }

  @Get('log')
  @RequiresAccess('audit')
  async log(@Query() query: Record<string, unknown>): Promise<unknown> {
    const limit = parseLimit(query.limit);
    const fromPosition = wholeNumber(query, 'fromPosition');
    const cursor = wholeNumber(query, 'cursor');
    if (fromPosition !== undefined && cursor !== undefined) throw InvalidInputError.field('cursor', 'give fromPosition or cursor, not both');
    const from = fromPosition ?? cursor ?? 0n;
    const events = await this.runtime.eventStore.readAll({ after: from > 0n ? from - 1n : undefined, maxCount: limit + 1 });
    return this.page(events, limit, (last) => last.position + 1n);
  }

  @Post('verify')
  @HttpCode(200)
  @RequiresAccess('audit')
  async verify(): Promise<unknown> {
    const report = await this.runtime.eventStore.verifyIntegrity();
    return {
      ok: report.ok,
      checked: jsonInteger(report.checked),
      ...(report.firstBadPosition !== undefined ? { firstBadPosition: jsonInteger(report.firstBadPosition) } : {}),
      ...(report.reason !== undefined ? { reason: report.reason } : {}),
    };
  }

  /** One more event than the page is read, to know whether another page follows. */
  private async page(events: RecordedEvent[], limit: number, next: (last: RecordedEvent) => bigint) {
    const page = events.slice(0, limit);
    const revealed = await this.runtime.personalData.reveal(page);
    const last = page[page.length - 1];
    return { data: revealed.map(toAuditEvent), nextCursor: events.length > limit && last ? next(last).toString() : null };
  }
}

function wholeNumber(query: Record<string, unknown>, field: string): bigint | undefined {
  const value = query[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !WHOLE_NUMBER.test(value)) throw InvalidInputError.field(field, 'must be a whole number');
  return BigInt(value);
}
