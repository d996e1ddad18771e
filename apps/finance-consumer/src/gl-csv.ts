import { LEDGER_ACCOUNTS, LedgerAccount } from '@accrual/billing';
import { Money } from '@accrual/money';

/** One line of the daily general-ledger summary: what an account moved on a day, in a currency. */
export interface GlSummaryRow {
  date: string;
  account: string;
  currency: string;
  debit: string;
  credit: string;
}

export const GL_SUMMARY_COLUMNS: readonly (keyof GlSummaryRow)[] = ['date', 'account', 'currency', 'debit', 'credit'];

/**
 * RFC 4180 CSV: a header line, CRLF after every record, fields quoted only when they hold a comma,
 * a double quote, CR or LF, with inner double quotes doubled. Amounts stay decimal strings, so a
 * spreadsheet import sees exactly the ledger's figures.
 */
export function toCsv<Row extends object>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  const records = [columns.map(csvField), ...rows.map((row) => columns.map((column) => csvField(String(row[column]))))];
  return records.map((fields) => `${fields.join(',')}\r\n`).join('');
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A day and currency whose summary lines do not balance: a broken journal, never a rounding matter. */
export interface UnbalancedDay {
  date: string;
  currency: string;
  debit: string;
  credit: string;
}

/** Every day's debits must equal its credits, per currency, because every entry balances. */
export function unbalancedDays(rows: readonly GlSummaryRow[]): UnbalancedDay[] {
  const totals = new Map<string, { date: string; currency: string; debit: Money; credit: Money }>();
  for (const row of rows) {
    const key = `${row.date} ${row.currency}`;
    const total = totals.get(key) ?? { date: row.date, currency: row.currency, debit: Money.zero(row.currency), credit: Money.zero(row.currency) };
    total.debit = total.debit.plus(Money.of(row.debit, row.currency));
    total.credit = total.credit.plus(Money.of(row.credit, row.currency));
    totals.set(key, total);
  }
  return [...totals.values()]
    .filter((total) => !total.debit.equals(total.credit))
    .map((total) => ({ date: total.date, currency: total.currency, debit: total.debit.toString(), credit: total.credit.toString() }));
}

/** Balances at the end of a day: each account's net on its side, and whether the two sides agree. */
export interface TrialBalance {
  asOf: string;
  currency: string;
  accounts: { account: LedgerAccount; debit: string; credit: string }[];
  totalDebit: string;
  totalCredit: string;
  balanced: boolean;
}

/** From each account's summed debits and credits (accounts not given have none). */
export function trialBalanceOf(
  asOf: string,
  currency: string,
  sums: readonly { account: string; debit: string; credit: string }[],
): TrialBalance {
  const zero = Money.zero(currency);
  const net = new Map<string, Money>();
  for (const sum of sums) {
    if (!(LEDGER_ACCOUNTS as readonly string[]).includes(sum.account)) throw new Error(`journal line on unknown account ${sum.account}`);
    net.set(sum.account, (net.get(sum.account) ?? zero).plus(Money.of(sum.debit, currency)).minus(Money.of(sum.credit, currency)));
  }
  let totalDebit = zero;
  let totalCredit = zero;
  const accounts = LEDGER_ACCOUNTS.map((account) => {
    const balance = net.get(account) ?? zero;
    const debit = balance.isPositive() ? balance : zero;
    const credit = balance.isNegative() ? balance.negated() : zero;
    totalDebit = totalDebit.plus(debit);
    totalCredit = totalCredit.plus(credit);
    return { account, debit: debit.toString(), credit: credit.toString() };
  });
  return {
    asOf,
    currency,
    accounts,
    totalDebit: totalDebit.toString(),
    totalCredit: totalCredit.toString(),
    balanced: totalDebit.equals(totalCredit),
  };
}
