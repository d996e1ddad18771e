import fc from 'fast-check';
import { InvalidInputError } from '../shared/errors';
import {
  addDays,
  assertNotInFuture,
  daysBetween,
  daysInMonth,
  formatDate,
  formatInstant,
  MAX_FUTURE_SKEW_MS,
  MS_PER_DAY,
  parseDate,
  parseInstant,
  startOfUtcDay,
} from './instant';

const refusal = (run: () => unknown): InvalidInputError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
};

describe('parseInstant', () => {
  it.each([
    ['2026-01-15T00:00:00Z', Date.UTC(2026, 0, 15)],
    ['2026-01-15T10:20:30Z', Date.UTC(2026, 0, 15, 10, 20, 30)],
    ['2026-01-15T01:00:00+01:00', Date.UTC(2026, 0, 15)],
    ['2026-01-14T19:00:00-05:00', Date.UTC(2026, 0, 15)],
    ['2026-01-15T05:30:00+05:30', Date.UTC(2026, 0, 15)],
    ['2026-01-15T00:00:00+00:00', Date.UTC(2026, 0, 15)],
    ['2026-01-15T00:00:00-00:00', Date.UTC(2026, 0, 15)],
    ['2026-01-15T00:00:00.5Z', Date.UTC(2026, 0, 15, 0, 0, 0, 500)],
    ['2026-01-15T00:00:00.123Z', Date.UTC(2026, 0, 15, 0, 0, 0, 123)],
    ['2026-01-15T00:00:00.123456789Z', Date.UTC(2026, 0, 15, 0, 0, 0, 123)],
    ['2026-01-15t00:00:00z', Date.UTC(2026, 0, 15)],
    ['2028-02-29T23:59:59Z', Date.UTC(2028, 1, 29, 23, 59, 59)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['2026-12-31T23:59:59+23:59', Date.UTC(2026, 11, 31, 0, 0, 59)],
  ])('reads %s as UTC', (text, expected) => {
    expect(parseInstant('at', text)).toBe(expected);
  });

  it.each([
    '2026-02-30T00:00:00Z', // no such day
    '2026-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z', // centuries are leap years only every 400 years
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-15T24:00:00Z',
    '2026-01-15T23:60:00Z',
    '2026-01-15T23:59:60Z',
    '2026-01-15T00:00:00', // no offset
    '2026-01-15T00:00:00+0100',
    '2026-01-15T00:00:00+99:00', // no such offset
    '2026-01-15T00:00:00+00:60',
    '2026-01-15T00:00:00+24:00',
    '2026-01-15 00:00:00Z',
    '2026-01-15',
    '2026-1-15T00:00:00Z',
    '2026-01-15T00:00:00.Z',
    '2026-01-15T00:00:00.1234567890Z',
    '',
    'yesterday',
  ])('refuses %j', (text) => {
    const error = refusal(() => parseInstant('startDate', text));
    expect(error.errors).toEqual([{ field: 'startDate', message: expect.stringContaining('RFC 3339') }]);
  });

  it.each([[1768435200000], [null], [undefined], [{}]])('refuses a %j that is not a string', (value) => {
    expect(refusal(() => parseInstant('timestamp', value)).errors[0].field).toBe('timestamp');
  });

  it('never answers NaN', () => {
    for (const text of ['2026-01-15T00:00:00+99:99', '2026-01-15T00:00:00-25:00']) {
      let parsed: number | undefined;
      try {
        parsed = parseInstant('at', text);
      } catch {
        continue;
      }
      expect(Number.isFinite(parsed)).toBe(true);
    }
  });
});

describe('parseDate', () => {
  it('reads a YYYY-MM-DD date as the start of that UTC day', () => {
    expect(parseDate('asOf', '2026-01-15')).toBe(Date.UTC(2026, 0, 15));
    expect(parseDate('asOf', '2028-02-29')).toBe(Date.UTC(2028, 1, 29));
  });

  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-5', '2026-01-15T00:00:00Z', '20260115', ''])('refuses %j', (text) => {
    expect(refusal(() => parseDate('from', text)).errors).toEqual([{ field: 'from', message: 'must be a date YYYY-MM-DD' }]);
  });

  it('refuses what is not a string', () => {
    expect(refusal(() => parseDate('from', 20260115)).errors[0].field).toBe('from');
  });
});

describe('formatting', () => {
  it('writes instants as RFC 3339 UTC, with milliseconds only when there are some', () => {
    expect(formatInstant(Date.UTC(2026, 0, 15))).toBe('2026-01-15T00:00:00Z');
    expect(formatInstant(Date.UTC(2026, 0, 15, 0, 0, 0, 250))).toBe('2026-01-15T00:00:00.250Z');
    expect(formatInstant(parseInstant('at', '2026-01-15T01:00:00+01:00'))).toBe('2026-01-15T00:00:00Z');
  });

  it('writes the UTC day of an instant', () => {
    expect(formatDate(Date.UTC(2026, 0, 15, 23, 59, 59))).toBe('2026-01-15');
    expect(formatDate(parseInstant('at', '2026-01-15T23:30:00-01:00'))).toBe('2026-01-16');
  });

  it('formats the same as the Date it stands for, for many more instants than it remembers, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }), { minLength: 1, maxLength: 300 }), (instants) => {
        // Twice over: the second pass meets instants the first one remembered, or forgot again.
        for (const instant of [...instants, ...instants]) {
          expect(formatInstant(instant)).toBe(new Date(instant).toISOString().replace('.000Z', 'Z'));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('parses what it formats', () => {
    const instant = Date.UTC(2026, 6, 4, 12, 34, 56, 789);
    expect(parseInstant('at', formatInstant(instant))).toBe(instant);
    expect(parseDate('at', formatDate(instant))).toBe(startOfUtcDay(instant));
  });
});

describe('days', () => {
  it('daysBetween counts UTC calendar days, whatever the time of day', () => {
    expect(daysBetween(Date.UTC(2026, 0, 15), Date.UTC(2026, 0, 15, 23, 59))).toBe(0);
    expect(daysBetween(Date.UTC(2026, 0, 15, 23, 59), Date.UTC(2026, 0, 16))).toBe(1);
    expect(daysBetween(Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1))).toBe(31);
    expect(daysBetween(Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1))).toBe(28);
    expect(daysBetween(Date.UTC(2028, 1, 1), Date.UTC(2028, 2, 1))).toBe(29);
    expect(daysBetween(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1))).toBe(365);
    expect(daysBetween(Date.UTC(2028, 0, 1), Date.UTC(2029, 0, 1))).toBe(366);
    expect(daysBetween(Date.UTC(2026, 2, 1), Date.UTC(2026, 1, 1))).toBe(-28);
  });

  it('daysInMonth knows leap years', () => {
    expect(daysInMonth(2026, 1)).toBe(28);
    expect(daysInMonth(2028, 1)).toBe(29);
    expect(daysInMonth(2100, 1)).toBe(28);
    expect(daysInMonth(2000, 1)).toBe(29);
    expect(daysInMonth(2026, 0)).toBe(31);
    expect(daysInMonth(2026, 3)).toBe(30);
    expect(daysInMonth(2026, 11)).toBe(31);
  });

  it('startOfUtcDay and addDays', () => {
    expect(startOfUtcDay(Date.UTC(2026, 0, 15, 13, 14, 15))).toBe(Date.UTC(2026, 0, 15));
    expect(startOfUtcDay(Date.UTC(1969, 11, 31, 12))).toBe(Date.UTC(1969, 11, 31));
    expect(addDays(Date.UTC(2026, 0, 31), 30)).toBe(Date.UTC(2026, 2, 2));
    expect(addDays(Date.UTC(2026, 0, 1), -1)).toBe(Date.UTC(2025, 11, 31));
    expect(MS_PER_DAY).toBe(86_400_000);
  });
});

describe('assertNotInFuture', () => {
  const now = Date.UTC(2026, 0, 15, 12);

  it('allows the past and up to 5 minutes ahead of the wall clock', () => {
    expect(() => assertNotInFuture('timestamp', Date.UTC(2020, 0, 1), now)).not.toThrow();
    expect(() => assertNotInFuture('timestamp', now + 4 * 60_000, now)).not.toThrow();
    expect(() => assertNotInFuture('timestamp', now + MAX_FUTURE_SKEW_MS, now)).not.toThrow();
  });

  it('refuses more than 5 minutes ahead', () => {
    expect(refusal(() => assertNotInFuture('timestamp', now + MAX_FUTURE_SKEW_MS + 1, now)).errors[0].field).toBe('timestamp');
  });
});
