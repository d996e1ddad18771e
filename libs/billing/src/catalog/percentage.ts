import { parseDecimal, StrictBig } from '@accrual/money';
import { FieldError } from '../shared/errors';

/** Percentages (a coupon's `percentOff`, a tax rate's `percentage`) carry up to 4 decimal places. */
export const PERCENTAGE_DECIMALS = 4;

const HUNDRED = new StrictBig('100');

export interface PercentageRange {
  /** A tax rate may be 0 (zero-rated supplies); a coupon of 0 % would discount nothing. */
  zeroAllowed: boolean;
}

/**
 * A percentage from 0 (or above 0) to 100, as a decimal string, or a whole JSON number (20 is
 * plainly 20 %; a fractional JSON number has already lost its exact value, so it is refused).
 * Answers the canonical decimal text ("20.50" → "20.5"), or null after recording the error.
 */
export function percentageField(errors: FieldError[], field: string, value: unknown, range: PercentageRange): string | null {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  const bounds = range.zeroAllowed ? 'from 0 to 100' : 'above 0 and at most 100';
  if (typeof text !== 'string') {
    errors.push({ field, message: `must be a decimal string ${bounds}, e.g. "20" or "7.25"` });
    return null;
  }
  try {
    const percentage = parseDecimal(text, { maxDecimalPlaces: PERCENTAGE_DECIMALS, allowNegative: false });
    if (percentage.gt(HUNDRED) || (!range.zeroAllowed && percentage.eq('0'))) {
      errors.push({ field, message: `must be ${bounds}` });
      return null;
    }
    return percentage.toFixed();
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}
