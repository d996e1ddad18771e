import { CURRENCY_CODES, isCurrencyCode, minorUnitDigits } from './currencies';
import { MoneyError, UnknownCurrencyError } from './errors';

describe('currencies', () => {
  it.each([
    ['USD', 2], ['EUR', 2], ['GBP', 2], ['HUF', 2], ['JPY', 0], ['KRW', 0], ['CLP', 0], ['ISK', 0],
    ['VND', 0], ['KWD', 3], ['BHD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3], ['LYD', 3], ['IQD', 3],
    ['CLF', 4], ['UYW', 4],
  ])('%s has %i minor unit digits, as ISO 4217 says', (code, digits) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(minorUnitDigits(code)).toBe(digits);
  });

  // Intl (CLDR) says 0 for both; the books follow ISO 4217.
  it('does not follow Intl where it disagrees with ISO 4217 (IQD, HUF)', () => {
    expect(minorUnitDigits('IQD')).toBe(3);
    expect(minorUnitDigits('HUF')).toBe(2);
  });

  it.each(['usd', 'US', 'USDD', '', ' USD', 'XXX', 'XAU', 'XDR', 'ZWL', 'HRK', 'toString', 'constructor', '__proto__'])(
    'refuses %p',
    (code) => {
      expect(isCurrencyCode(code)).toBe(false);
      expect(() => minorUnitDigits(code)).toThrow(UnknownCurrencyError);
    },
  );

  it('refuses non-strings', () => {
    expect(isCurrencyCode(840)).toBe(false);
    expect(isCurrencyCode(undefined)).toBe(false);
    expect(isCurrencyCode(null)).toBe(false);
  });

  it('names the error for the API layer', () => {
    const error = catchError(() => minorUnitDigits('ABC'));
    expect(error).toBeInstanceOf(MoneyError);
    expect(error).toMatchObject({ code: 'unknown-currency', currency: 'ABC', name: 'UnknownCurrencyError' });
    expect((error as Error).message).toContain('"ABC"');
  });

  it('lists every code once, sorted, as three capital letters', () => {
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(minorUnitDigits(code));
    }
    expect(Object.isFrozen(CURRENCY_CODES)).toBe(true);
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
