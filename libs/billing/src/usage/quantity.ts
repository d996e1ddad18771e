import { parseQuantity } from '@accrual/money';
import { FieldError } from '../shared/errors';

/** Parses a quantity (decimal string, or a whole JSON number) into its canonical string. */
export function parseQuantityField(errors: FieldError[], field: string, value: unknown): string | null {
  try {
    return parseQuantity(value).toFixed();
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}
