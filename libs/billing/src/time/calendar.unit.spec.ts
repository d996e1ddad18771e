import { boundary, Cadence, nextBoundaryAfter, periodIndexAt } from './calendar';
import { formatInstant, parseInstant } from './instant';

const at = (text: string) => parseInstant('at', text.includes('T') ? text : `${text}T00:00:00Z`);
const day = (instant: number) => formatInstant(instant);
const monthly: Cadence = { interval: 'month', intervalCount: 1 };
const yearly: Cadence = { interval: 'year', intervalCount: 1 };
const quarterly: Cadence = { interval: 'month', intervalCount: 3 };

const boundaries = (reference: string, cadence: Cadence, ks: number[]) => ks.map((k) => day(boundary(at(reference), cadence, k)));

describe('boundary', () => {
  it('k = 0 is the reference itself', () => {
    for (const interval of ['day', 'week', 'month', 'year'] as const) {
      expect(boundary(at('2026-01-31T10:00:00Z'), { interval, intervalCount: 2 }, 0)).toBe(at('2026-01-31T10:00:00Z'));
    }
  });

  it('monthly from Jan 31: Feb 28, then back to Mar 31 (not Mar 28)', () => {
    expect(boundaries('2026-01-31', monthly, [1, 2, 3, 4])).toEqual([
      '2026-02-28T00:00:00Z',
      '2026-03-31T00:00:00Z',
      '2026-04-30T00:00:00Z',
      '2026-05-31T00:00:00Z',
    ]);
  });

  it('monthly from Jan 31 in a leap year: Feb 29', () => {
    expect(boundaries('2028-01-31', monthly, [1, 2])).toEqual(['2028-02-29T00:00:00Z', '2028-03-31T00:00:00Z']);
  });

  it('monthly from the 30th and the 29th clamp only in February', () => {
    expect(boundaries('2026-01-30', monthly, [1, 2])).toEqual(['2026-02-28T00:00:00Z', '2026-03-30T00:00:00Z']);
    expect(boundaries('2028-01-29', monthly, [1, 2])).toEqual(['2028-02-29T00:00:00Z', '2028-03-29T00:00:00Z']);
  });

  it('monthly crosses the year', () => {
    expect(boundaries('2026-11-15', monthly, [1, 2, 14])).toEqual([
      '2026-12-15T00:00:00Z',
      '2027-01-15T00:00:00Z',
      '2028-01-15T00:00:00Z',
    ]);
  });

  it('keeps the time of day of the reference', () => {
    expect(boundaries('2026-01-31T13:45:10Z', monthly, [1, -1])).toEqual(['2026-02-28T13:45:10Z', '2025-12-31T13:45:10Z']);
  });

  it('yearly from Feb 29 2028: Feb 28 2029, …, Feb 29 2032', () => {
    expect(boundaries('2028-02-29', yearly, [1, 2, 3, 4, -1, -4])).toEqual([
      '2029-02-28T00:00:00Z',
      '2030-02-28T00:00:00Z',
      '2031-02-28T00:00:00Z',
      '2032-02-29T00:00:00Z',
      '2027-02-28T00:00:00Z',
      '2024-02-29T00:00:00Z',
    ]);
  });

  it('weekly and daily step by whole days', () => {
    expect(boundaries('2026-02-25', { interval: 'week', intervalCount: 1 }, [1, 2, -1])).toEqual([
      '2026-03-04T00:00:00Z',
      '2026-03-11T00:00:00Z',
      '2026-02-18T00:00:00Z',
    ]);
    expect(boundaries('2026-02-27', { interval: 'day', intervalCount: 1 }, [1, 2, 365, -1])).toEqual([
      '2026-02-28T00:00:00Z',
      '2026-03-01T00:00:00Z',
      '2027-02-27T00:00:00Z',
      '2026-02-26T00:00:00Z',
    ]);
    expect(boundaries('2026-01-01', { interval: 'week', intervalCount: 2 }, [1, 3])).toEqual([
      '2026-01-15T00:00:00Z',
      '2026-02-12T00:00:00Z',
    ]);
  });

  it('intervalCount 3 is quarterly, with the month-end clamp', () => {
    expect(boundaries('2026-01-31', quarterly, [1, 2, 3, 4])).toEqual([
      '2026-04-30T00:00:00Z',
      '2026-07-31T00:00:00Z',
      '2026-10-31T00:00:00Z',
      '2027-01-31T00:00:00Z',
    ]);
    expect(boundaries('2025-11-30', quarterly, [1])).toEqual(['2026-02-28T00:00:00Z']);
  });

  it('negative k counts back from the reference', () => {
    expect(boundaries('2026-03-31', monthly, [-1, -2, -3, -4, -13])).toEqual([
      '2026-02-28T00:00:00Z',
      '2026-01-31T00:00:00Z',
      '2025-12-31T00:00:00Z',
      '2025-11-30T00:00:00Z',
      '2025-02-28T00:00:00Z',
    ]);
    expect(boundaries('2026-02-01', quarterly, [-1, -5])).toEqual(['2025-11-01T00:00:00Z', '2024-11-01T00:00:00Z']);
  });
});

describe('periodIndexAt', () => {
  const reference = at('2026-01-31');

  it('a boundary starts its own period', () => {
    for (const k of [-25, -3, -1, 0, 1, 2, 3, 12, 100]) {
      expect(periodIndexAt(reference, monthly, boundary(reference, monthly, k))).toBe(k);
    }
  });

  it('the last millisecond before a boundary belongs to the period before', () => {
    for (const k of [-3, 0, 1, 2, 13]) {
      expect(periodIndexAt(reference, monthly, boundary(reference, monthly, k) - 1)).toBe(k - 1);
    }
  });

  it('finds the period of instants in between', () => {
    expect(periodIndexAt(reference, monthly, at('2026-02-27T23:59:59Z'))).toBe(0);
    expect(periodIndexAt(reference, monthly, at('2026-03-15'))).toBe(1);
    expect(periodIndexAt(reference, monthly, at('2025-12-31T00:00:01Z'))).toBe(-1);
    expect(periodIndexAt(at('2028-02-29'), yearly, at('2029-02-28'))).toBe(1);
    expect(periodIndexAt(at('2028-02-29'), yearly, at('2029-02-27T23:59:59Z'))).toBe(0);
    expect(periodIndexAt(at('2026-01-01'), { interval: 'day', intervalCount: 7 }, at('2026-01-15'))).toBe(2);
  });

  it('walks far from the reference', () => {
    const daily: Cadence = { interval: 'day', intervalCount: 1 };
    expect(periodIndexAt(reference, daily, at('2126-01-31'))).toBe(36524);
    expect(periodIndexAt(reference, monthly, at('2126-01-31'))).toBe(1200);
    expect(periodIndexAt(reference, yearly, at('1926-02-01'))).toBe(-100);
  });
});

describe('nextBoundaryAfter', () => {
  it('is the boundary strictly after the instant, even on a boundary', () => {
    const reference = at('2026-01-31');
    expect(day(nextBoundaryAfter(reference, monthly, at('2026-02-01')))).toBe('2026-02-28T00:00:00Z');
    expect(day(nextBoundaryAfter(reference, monthly, at('2026-02-28')))).toBe('2026-03-31T00:00:00Z');
    expect(day(nextBoundaryAfter(reference, monthly, at('2026-01-15')))).toBe('2026-01-31T00:00:00Z');
  });
});
