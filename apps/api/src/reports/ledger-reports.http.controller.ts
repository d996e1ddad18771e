import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Runtime, RUNTIME } from '@accrual/platform';
import { queryRevenue, queryTrialBalance, RevenueReport, TrialBalance } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { reportCurrency, reportDate, reportPeriod } from './report-params';

/** Revenue recognition and the trial balance (docs/reporting.md); they read only read models. */
@Controller('v1/reports')
export class LedgerReportsHttpController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('revenue')
  @RequiresAccess('query')
  revenue(@Query() query: Record<string, unknown>): Promise<RevenueReport> {
    const currency = reportCurrency(query.currency);
    const { from, to } = reportPeriod(query.from, query.to);
    return queryRevenue(this.runtime.sql, from, to, currency);
  }

  @Get('trial-balance')
  @RequiresAccess('query')
  trialBalance(@Query() query: Record<string, unknown>): Promise<TrialBalance> {
    const currency = reportCurrency(query.currency);
    return queryTrialBalance(this.runtime.sql, reportDate('asOf', query.asOf), currency);
  }
}
