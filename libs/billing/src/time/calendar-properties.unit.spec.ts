import fc from 'fast-check';
import { boundary, Cadence, INTERVALS, nextBoundaryAfter, periodIndexAt } from './calendar';
import { MS_PER_DAY } from './instant';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 400 };

// 1970 to 2200, at any millisecond of the day: the years billing can meet.
const referenceArbitrary = fc.integer({ min: 0, max: 84_000 }).chain((day) =>
  fc.integer({ min: 0, max: MS_PER_DAY - 1 }).map((msOfDay) => day * MS_PER_DAY + msOfDay),
);
const cadenceArbitrary: fc.Arbitrary<Cadence> = fc.record({
  interval: fc.constantFrom(...INTERVALS),
  intervalCount: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 12 })),
});
const kArbitrary = fc.integer({ min: -120, max: 120 });

/** Milliseconds since the start of the UTC day, before 1970 too. */
const timeOfDay = (instant: number) => ((instant % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;

describe('calendar properties', () => {
  it('boundary is strictly increasing in k', () => {
    fc.assert(
      fc.property(referenceArbitrary, cadenceArbitrary, kArbitrary, (reference, cadence, k) => {
        expect(boundary(reference, cadence, k)).toBeLessThan(boundary(reference, cadence, k + 1));
      }),
      RUNS,
    );
  });

  it('periodIndexAt(boundary(k)) is k, and the millisecond before is in period k - 1', () => {
    fc.assert(
      fc.property(referenceArbitrary, cadenceArbitrary, kArbitrary, (reference, cadence, k) => {
        const start = boundary(reference, cadence, k);
        expect(periodIndexAt(reference, cadence, start)).toBe(k);
        expect(periodIndexAt(reference, cadence, start - 1)).toBe(k - 1);
      }),
      RUNS,
    );
  });

  it('every instant lies in the period periodIndexAt names, and nextBoundaryAfter is that period’s end', () => {
    const offsetArbitrary = fc.integer({ min: -40 * 365 * MS_PER_DAY, max: 40 * 365 * MS_PER_DAY });
    fc.assert(
      fc.property(referenceArbitrary, cadenceArbitrary, offsetArbitrary, (reference, cadence, offset) => {
        const instant = reference + offset;
        const k = periodIndexAt(reference, cadence, instant);
        expect(boundary(reference, cadence, k)).toBeLessThanOrEqual(instant);
        expect(boundary(reference, cadence, k + 1)).toBeGreaterThan(instant);
        expect(nextBoundaryAfter(reference, cadence, instant)).toBe(boundary(reference, cadence, k + 1));
      }),
      RUNS,
    );
  });

  it('months and years keep the day of the month, clamped to the month’s length, and the time of day', () => {
    const monthlyArbitrary = fc.record({ interval: fc.constantFrom('month' as const, 'year' as const), intervalCount: fc.integer({ min: 1, max: 12 }) });
    fc.assert(
      fc.property(referenceArbitrary, monthlyArbitrary, kArbitrary, (reference, cadence, k) => {
        const from = new Date(reference);
        const to = new Date(boundary(reference, cadence, k));
        const lastDay = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() + 1, 0)).getUTCDate();
        expect(to.getUTCDate()).toBe(Math.min(from.getUTCDate(), lastDay));
        expect(timeOfDay(to.getTime())).toBe(timeOfDay(from.getTime()));
        const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
        expect(months).toBe(k * cadence.intervalCount * (cadence.interval === 'year' ? 12 : 1));
      }),
      RUNS,
    );
  });

  it('days and weeks are exact multiples of a day', () => {
    const dailyArbitrary = fc.record({ interval: fc.constantFrom('day' as const, 'week' as const), intervalCount: fc.integer({ min: 1, max: 365 }) });
    fc.assert(
      fc.property(referenceArbitrary, dailyArbitrary, kArbitrary, (reference, cadence, k) => {
        const days = k * cadence.intervalCount * (cadence.interval === 'week' ? 7 : 1);
        expect(boundary(reference, cadence, k)).toBe(reference + days * MS_PER_DAY);
      }),
      RUNS,
    );
  });
});
