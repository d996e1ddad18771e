import { SqlExecutor } from '@accrual/database';
import { Money } from '@accrual/money';
import { ExportArgs } from './export-args';
import { FINANCE_SCHEMA } from './finance-schema';
import { GL_SUMMARY_COLUMNS, GlSummaryRow, toCsv, TrialBalance, trialBalanceOf, UnbalancedDay, unbalancedDays } from './gl-csv';

/** The daily summary of the journal for [from, to] (inclusive), by day, currency and account. */
export async function dailyGlSummary(sql: SqlExecutor, args: ExportArgs): Promise<GlSummaryRow[]> {
  const result = await sql.query<GlSummaryRow>(
    `select to_char(entry_date, 'YYYY-MM-DD') as date, account, currency, sum(debit)::text as debit, sum(credit)::text as credit
       from ${FINANCE_SCHEMA}.journal_lines
      where entry_date between $1::date and $2::date and ($3::text is null or currency = $3::text)
      group by entry_date, currency, account
      order by entry_date, currency, account`,
    [args.from, args.to, args.currency ?? null],
  );
  // Sums keep the scale of their terms; the export shows the currency's minor unit, as the ledger does.
  return result.rows.map((row) => ({
    ...row,
    debit: Money.of(row.debit, row.currency).toString(),
    credit: Money.of(row.credit, row.currency).toString(),
  }));
}

/** The journal's trial balance at the end of `asOf` in one currency. */
export async function journalTrialBalance(sql: SqlExecutor, asOf: string, currency: string): Promise<TrialBalance> {
  const sums = await sql.query<{ account: string; debit: string; credit: string }>(
    `select account, sum(debit)::text as debit, sum(credit)::text as credit from ${FINANCE_SCHEMA}.journal_lines
      where currency = $1 and entry_date <= $2::date group by account`,
    [currency, asOf],
  );
  return trialBalanceOf(asOf, currency, sums.rows);
}

export interface ExportCheck {
  /** Days of the summary whose debits and credits differ (empty when the journal is sound). */
  unbalancedDays: UnbalancedDay[];
  /** The trial balance at the end of `to`, per currency exported. */
  trialBalances: TrialBalance[];
  ok: boolean;
}

/**
 * Writes the summary as CSV through `write` and checks it: every day balances, and the trial
 * balance at the end of `to` balances in every currency of the export.
 */
export async function exportGeneralLedger(sql: SqlExecutor, args: ExportArgs, write: (chunk: string) => void): Promise<ExportCheck> {
  const rows = await dailyGlSummary(sql, args);
  write(toCsv(GL_SUMMARY_COLUMNS, rows));
  const currencies = args.currency ? [args.currency] : await currenciesThrough(sql, args.to);
  const trialBalances: TrialBalance[] = [];
  for (const currency of currencies) trialBalances.push(await journalTrialBalance(sql, args.to, currency));
  const unbalanced = unbalancedDays(rows);
  return { unbalancedDays: unbalanced, trialBalances, ok: unbalanced.length === 0 && trialBalances.every((balance) => balance.balanced) };
}

async function currenciesThrough(sql: SqlExecutor, asOf: string): Promise<string[]> {
  const result = await sql.query<{ currency: string }>(
    `select distinct currency from ${FINANCE_SCHEMA}.journal_lines where entry_date <= $1::date order by currency`,
    [asOf],
  );
  return result.rows.map((row) => row.currency);
}
