import { parseQuantity } from '@accrual/money';
import { FieldError } from '../shared/errors';

/**
 * A whole number written canonically (no sign, no leading zero, at most 15 digits) is its own
 * canonical form, and `parseQuantity` accepts it: usage quantities mostly look like this, and
 * big.js per event showed in the usage profile (docs/benchmarks.md).
 */
const CANONICAL_WHOLE_NUMBER = /^(?:0|[1-9]\d{0,14})$/;

/** Parses a quantity (decimal string, or a whole JSON number) into its canonical string. */
export function parseQuantityField(errors: FieldError[], field: string, value: unknown): string | null {
  if (typeof value === 'string' && CANONICAL_WHOLE_NUMBER.test(value)) return value;
  try {
    return parseQuantity(value).toFixed();
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}
