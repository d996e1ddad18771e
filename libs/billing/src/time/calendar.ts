import { addDays, daysInMonth, Instant } from './instant';

export type Interval = 'day' | 'week' | 'month' | 'year';
export const INTERVALS: readonly Interval[] = ['day', 'week', 'month', 'year'];

export interface Cadence {
  interval: Interval;
  intervalCount: number;
}

/**
 * The k-th period boundary counted from `reference` (k may be negative).
 *
 * Months and years are computed from the reference every time, never step by step, so a cycle
 * anchored on the 31st bills 31 Jan, 28/29 Feb, 31 Mar: a short month clamps to its last day
 * without dragging later boundaries back.
 */
export function boundary(reference: Instant, cadence: Cadence, k: number): Instant {
  const steps = k * cadence.intervalCount;
  switch (cadence.interval) {
    case 'day':
      return addDays(reference, steps);
    case 'week':
      return addDays(reference, steps * 7);
    case 'month':
      return addMonths(reference, steps);
    case 'year':
      return addMonths(reference, steps * 12);
  }
}

function addMonths(reference: Instant, months: number): Instant {
  const date = new Date(reference);
  const monthIndex = date.getUTCMonth() + months;
  const year = date.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  const timeOfDay = reference - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(year, month, day) + timeOfDay;
}

/** The index k of the period [boundary(k), boundary(k+1)) that holds `instant`. */
export function periodIndexAt(reference: Instant, cadence: Cadence, instant: Instant): number {
  const approximateMs: Record<Interval, number> = {
    day: 86_400_000,
    week: 7 * 86_400_000,
    month: 2_629_746_000,
    year: 31_556_952_000,
  };
  let k = Math.floor((instant - reference) / (approximateMs[cadence.interval] * cadence.intervalCount));
  // The estimate is off by at most a step or two; walk to the exact period.
  while (boundary(reference, cadence, k) > instant) k -= 1;
  while (boundary(reference, cadence, k + 1) <= instant) k += 1;
  return k;
}

/** The boundary strictly after `instant`. */
export function nextBoundaryAfter(reference: Instant, cadence: Cadence, instant: Instant): Instant {
  return boundary(reference, cadence, periodIndexAt(reference, cadence, instant) + 1);
}
