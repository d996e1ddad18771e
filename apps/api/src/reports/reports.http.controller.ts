import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Runtime, RUNTIME } from '@accrual/platform';
import { AgingReport, DsoReport, queryArAging, queryDso } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { reportCurrency, reportDate, reportPeriod } from './report-params';

/** Reports read only read models (docs/reporting.md); `X-Min-Position` waits for a write first. */
@Controller('v1/reports')
export class ReportsHttpController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('ar-aging')
  @RequiresAccess('query')
  arAging(@Query() query: Record<string, unknown>): Promise<AgingReport> {
    const currency = reportCurrency(query.currency);
    return queryArAging(this.runtime.sql, reportDate('asOf', query.asOf), currency);
  }

  @Get('dso')
  @RequiresAccess('query')
  dso(@Query() query: Record<string, unknown>): Promise<DsoReport> {
    const currency = reportCurrency(query.currency);
    const { from, to, days } = reportPeriod(query.from, query.to);
    return queryDso(this.runtime.sql, from, to, days, currency);
  }
}
