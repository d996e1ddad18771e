import { dayCount } from '@accrual/billing';

export interface ExportArgs {
  /** First and last day of the summary, inclusive, `YYYY-MM-DD` (the journal's business days, UTC). */
  from: string;
  to: string;
  /** Undefined: every currency. */
  currency?: string;
}

export class ExportArgsError extends Error {}

export const EXPORT_USAGE = 'usage: npm run finance:export -- --from YYYY-MM-DD --to YYYY-MM-DD [--currency USD]';

/** The longest range one export covers; a bound on the rows it writes (days × accounts × currencies). */
export const EXPORT_DAYS_MAX = 3660;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CURRENCY = /^[A-Z]{3}$/;
const FLAGS = new Set(['from', 'to', 'currency']);

/** `--from`, `--to` (required) and `--currency` (optional), as `--flag value` or `--flag=value`. */
export function parseExportArgs(argv: readonly string[]): ExportArgs {
  const values = flagValues(argv);
  const from = day(values, 'from');
  const to = day(values, 'to');
  if (to < from) throw new ExportArgsError(`--to ${to} is before --from ${from}`);
  if (dayCount(from, to) > EXPORT_DAYS_MAX) throw new ExportArgsError(`at most ${EXPORT_DAYS_MAX} days per export`);
  const currency = values.get('currency');
  if (currency === undefined) return { from, to };
  if (!CURRENCY.test(currency)) throw new ExportArgsError(`--currency must be an ISO 4217 code such as USD, got ${currency}`);
  return { from, to, currency };
}

function day(values: ReadonlyMap<string, string>, flag: string): string {
  const text = values.get(flag);
  if (text === undefined) throw new ExportArgsError(`--${flag} YYYY-MM-DD is required`);
  // A real calendar day: 2026-02-30 parses in JavaScript (as March 2nd), so it must also print back unchanged.
  if (!DAY.test(text) || new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text) {
    throw new ExportArgsError(`--${flag} must be a calendar day YYYY-MM-DD, got ${text}`);
  }
  return text;
}

function flagValues(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(argv[index]);
    if (!match || !FLAGS.has(match[1])) throw new ExportArgsError(`unknown argument ${argv[index]}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined || value === '') throw new ExportArgsError(`--${match[1]} needs a value`);
    if (values.has(match[1])) throw new ExportArgsError(`--${match[1]} given twice`);
    values.set(match[1], value);
  }
  return values;
}
