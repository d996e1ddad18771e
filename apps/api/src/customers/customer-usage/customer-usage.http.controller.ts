import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { formatInstant, InvalidInputError, NotFoundError, parseInstant } from '@accrual/billing';
import { Runtime, RUNTIME } from '@accrual/platform';
import { aggregateUsage, findCustomer, findMeter } from '@accrual/read-models';
import { RequiresAccess } from '../../http/access';

export interface CustomerUsage {
  meterCode: string;
  from: string;
  to: string;
  value: string;
}

/** `GET /v1/customers/:id/usage`: a meter's aggregate for the customer over [from, to) (CONTRACT §5). */
@Controller('v1/customers')
export class CustomerUsageHttpController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get(':id/usage')
  @RequiresAccess('query')
  async usage(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<CustomerUsage> {
    const window = usageWindow(query);
    if (!(await findCustomer(this.runtime.sql, id))) throw new NotFoundError('customer', id);
    const meter = await findMeter(this.runtime.sql, window.meterCode);
    if (!meter) throw InvalidInputError.field('meterCode', `meter ${window.meterCode} does not exist`);
    const value = await aggregateUsage(this.runtime.sql, { customerId: id, ...window }, meter.aggregation, meter.uniqueBy);
    return { ...window, value };
  }
}

/** The query's meter and [from, to) window, instants normalized to UTC; `to` before `from` is refused. */
function usageWindow(query: Record<string, unknown>): { meterCode: string; from: string; to: string } {
  const { meterCode } = query;
  if (typeof meterCode !== 'string' || meterCode.length === 0) throw InvalidInputError.field('meterCode', 'is required: a meter code');
  const from = parseInstant('from', query.from);
  const to = parseInstant('to', query.to);
  if (to < from) throw InvalidInputError.field('to', 'must be at or after from');
  return { meterCode, from: formatInstant(from), to: formatInstant(to) };
}
