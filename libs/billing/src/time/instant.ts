import { InvalidInputError } from '../shared/errors';

/**
 * Instants are epoch milliseconds inside the domain and RFC 3339 UTC strings outside.
 * The domain never reads a clock: "now" is always passed in by the caller.
 */
export type Instant = number;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MS_PER_DAY = 86_400_000;
/** Business instants more than this far ahead of the wall clock are refused. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Parses an RFC 3339 instant (any offset, normalized to UTC); throws InvalidInputError. */
export function parseInstant(field: string, text: unknown): Instant {
  if (typeof text !== 'string') {
    throw InvalidInputError.field(field, 'must be an RFC 3339 instant, e.g. 2026-01-15T00:00:00Z');
  }
  const match = RFC3339.exec(text);
  if (!match || !isRealDate(+match[1], +match[2], +match[3]) || +match[4] > 23 || +match[5] > 59 || +match[6] > 59) {
    throw InvalidInputError.field(field, 'must be an RFC 3339 instant, e.g. 2026-01-15T00:00:00Z');
  }
  // The pattern lets through offsets that do not exist (+24:00, +00:60); Date.parse answers NaN.
  const instant = Date.parse(text);
  if (Number.isNaN(instant)) {
    throw InvalidInputError.field(field, 'must be an RFC 3339 instant, e.g. 2026-01-15T00:00:00Z');
  }
  return instant;
}

/** Parses a `YYYY-MM-DD` report date as the instant starting that UTC day. */
export function parseDate(field: string, text: unknown): Instant {
  const match = typeof text === 'string' ? DATE_ONLY.exec(text) : null;
  if (!match || !isRealDate(+match[1], +match[2], +match[3])) {
    throw InvalidInputError.field(field, 'must be a date YYYY-MM-DD');
  }
  return Date.UTC(+match[1], +match[2] - 1, +match[3]);
}

/** Refuses business time more than 5 minutes after the wall clock the caller read. */
export function assertNotInFuture(field: string, instant: Instant, wallClockNow: Instant): void {
  if (instant > wallClockNow + MAX_FUTURE_SKEW_MS) {
    throw InvalidInputError.field(field, 'is more than 5 minutes in the future');
  }
}

/**
 * The last instants formatted, at most FORMATTED_INSTANTS_MAX (then it starts over): a billing run
 * formats the same few period boundaries for every subscription. Pure: an instant always formats the same.
 */
const FORMATTED_INSTANTS_MAX = 64;
const formattedInstants = new Map<Instant, string>();

export function formatInstant(instant: Instant): string {
  let text = formattedInstants.get(instant);
  if (text === undefined) {
    text = new Date(instant).toISOString().replace('.000Z', 'Z');
    if (formattedInstants.size >= FORMATTED_INSTANTS_MAX) formattedInstants.clear();
    formattedInstants.set(instant, text);
  }
  return text;
}

export function formatDate(instant: Instant): string {
  return new Date(instant).toISOString().slice(0, 10);
}

export function startOfUtcDay(instant: Instant): Instant {
  return Math.floor(instant / MS_PER_DAY) * MS_PER_DAY;
}

/** Whole UTC calendar days from the day of `from` to the day of `to`. */
export function daysBetween(from: Instant, to: Instant): number {
  return Math.round((startOfUtcDay(to) - startOfUtcDay(from)) / MS_PER_DAY);
}

export function addDays(instant: Instant, days: number): Instant {
  return instant + days * MS_PER_DAY;
}

export function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

function isRealDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month - 1);
}
