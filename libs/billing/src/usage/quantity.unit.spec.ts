import fc from 'fast-check';
import { parseQuantity } from '@accrual/money';
import { FieldError } from '../shared/errors';
import { parseQuantityField } from './quantity';

/** The answer without the fast path for canonical whole numbers: big.js's canonical text, or the error. */
function slowAnswer(value: string): string | null {
  try {
    return parseQuantity(value).toFixed();
  } catch {
    return null;
  }
}

describe('parseQuantityField', () => {
  it('gives the same canonical text, or the same refusal, for any digit string, fast path or not', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?[0-9]{1,20}(\.[0-9]{0,3})?$/), (value) => {
        const errors: FieldError[] = [];
        expect(parseQuantityField(errors, 'quantity', value)).toBe(slowAnswer(value));
        expect(errors.length > 0).toBe(slowAnswer(value) === null);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes canonical whole numbers as they are and still canonicalises the rest', () => {
    expect(parseQuantityField([], 'quantity', '7')).toBe('7');
    expect(parseQuantityField([], 'quantity', '0')).toBe('0');
    expect(parseQuantityField([], 'quantity', '007')).toBe('7');
    expect(parseQuantityField([], 'quantity', '1234567890123456789')).toBe('1234567890123456789');
  });
});
