import Big from 'big.js';
import { DECIMAL_TEXT_LENGTH_MAX, StrictBig, formatDecimal, parseDecimal, parseQuantity } from './decimal';
import { InvalidDecimalError, MoneyError } from './errors';

const UNIT_PRICE = { maxDecimalPlaces: 12, allowNegative: false } as const;
const SIGNED_CENTS = { maxDecimalPlaces: 2, allowNegative: true } as const;

describe('StrictBig', () => {
  it('refuses JS numbers', () => {
    expect(() => new StrictBig(1.1)).toThrow(TypeError);
    expect(() => new StrictBig('1').plus(1)).toThrow(TypeError);
    expect(() => new StrictBig('1').lt(0)).toThrow(TypeError);
  });

  it('refuses valueOf, so a Big never silently becomes a float', () => {
    const value = new StrictBig('1.5');
    expect(() => value.valueOf()).toThrow();
    expect(() => Number(value)).toThrow();
  });

  it('leaves the global Big as it was', () => {
    expect(Big.strict).toBe(false);
    expect(new Big(1.5).toString()).toBe('1.5');
    expect(Big.DP).toBe(20);
  });

  it('never writes exponent notation', () => {
    expect(parseDecimal('0.000000000001', UNIT_PRICE).toString()).toBe('0.000000000001');
    expect(new StrictBig('1e30').toString()).toBe('1000000000000000000000000000000');
  });
});

describe('parseDecimal', () => {
  it.each(['0', '12', '12.5', '12.50', '-3.25', '0.000000000001', '007.10'])('accepts %p', (text) => {
    const value = parseDecimal(text, { maxDecimalPlaces: 12, allowNegative: true });
    expect(value.eq(new StrictBig(text))).toBe(true);
  });

  it.each([
    '1.', '.5', '+1', ' 1', '1 ', '1e3', '1E3', '1e-3', 'NaN', 'Infinity', '-Infinity', '0x10', '',
    '-', '1,5', '1_000', '١', '--1', '1.2.3', '−1',
  ])('refuses %p', (text) => {
    expect(() => parseDecimal(text, SIGNED_CENTS)).toThrow(InvalidDecimalError);
  });

  it('refuses JS numbers and other non-strings', () => {
    for (const value of [1.5, 12, null, undefined, {}, 10n]) {
      expect(() => parseDecimal(value as unknown as string, SIGNED_CENTS)).toThrow(InvalidDecimalError);
    }
  });

  it('refuses more decimals than allowed, with a human message', () => {
    const error = catchError(() => parseDecimal('1.234', { maxDecimalPlaces: 2, allowNegative: false }));
    expect(error).toBeInstanceOf(InvalidDecimalError);
    expect(error).toBeInstanceOf(MoneyError);
    expect(error).toMatchObject({ code: 'invalid-decimal', input: '1.234' });
    expect((error as Error).message).toBe('must have at most 2 decimal places (got "1.234")');
  });

  it('refuses negatives unless allowed, but takes "-0" as zero', () => {
    expect(() => parseDecimal('-1', UNIT_PRICE)).toThrow('must not be negative');
    expect(parseDecimal('-1', SIGNED_CENTS).toString()).toBe('-1');
    expect(parseDecimal('-0.00', UNIT_PRICE).toString()).toBe('0');
    expect(parseDecimal('-0.00', UNIT_PRICE).s).toBe(1);
  });

  it('puts a limit on the length of the text', () => {
    const longText = '1'.repeat(DECIMAL_TEXT_LENGTH_MAX + 1);
    expect(() => parseDecimal(longText, UNIT_PRICE)).toThrow(InvalidDecimalError);
    expect(() => parseDecimal('1'.repeat(DECIMAL_TEXT_LENGTH_MAX), UNIT_PRICE)).not.toThrow();
  });

  it('shortens long input echoed into the message', () => {
    const error = catchError(() => parseDecimal(`${'x'.repeat(60)}`, UNIT_PRICE)) as Error;
    expect(error.message.length).toBeLessThan(200);
  });

  it('returns StrictBig values, so later arithmetic with JS numbers still fails', () => {
    expect(() => parseDecimal('2', UNIT_PRICE).times(3)).toThrow(TypeError);
  });

  it('asserts the options are sane (a caller bug, not bad input)', () => {
    expect(() => parseDecimal('1', { maxDecimalPlaces: -1, allowNegative: false })).toThrow('assertion failed');
    expect(() => parseDecimal('1', { maxDecimalPlaces: 1.5, allowNegative: false })).toThrow('assertion failed');
  });
});

describe('parseQuantity', () => {
  it.each([
    ['3', '3'], ['0', '0'], ['1.5', '1.5'], ['0.000000000001', '0.000000000001'],
  ])('accepts the decimal string %p', (value, expected) => {
    expect(parseQuantity(value).toString()).toBe(expected);
  });

  it.each([[3, '3'], [0, '0'], [-0, '0'], [Number.MAX_SAFE_INTEGER, '9007199254740991']])(
    'accepts the whole number %p',
    (value, expected) => {
      expect(parseQuantity(value).toString()).toBe(expected);
    },
  );

  it.each([1.5, 0.1, -1, Number.MAX_SAFE_INTEGER + 1, 1e21, NaN, Infinity, -Infinity])('refuses the number %p', (value) => {
    expect(() => parseQuantity(value)).toThrow(InvalidDecimalError);
  });

  it.each(['-1', '0.0000000000001', '1e3', ' 1', '+1', ''])('refuses the string %p', (value) => {
    expect(() => parseQuantity(value)).toThrow(InvalidDecimalError);
  });

  it.each([null, undefined, true, {}, [], 3n])('refuses %p', (value) => {
    expect(() => parseQuantity(value)).toThrow(InvalidDecimalError);
  });
});

describe('formatDecimal', () => {
  it('pads to the decimal places asked for', () => {
    expect(formatDecimal(new StrictBig('12.5'), 2)).toBe('12.50');
    expect(formatDecimal(new StrictBig('1250'), 0)).toBe('1250');
    expect(formatDecimal(new StrictBig('1.25'), 3)).toBe('1.250');
    expect(formatDecimal(new StrictBig('-0.5'), 4)).toBe('-0.5000');
    expect(formatDecimal(new StrictBig('1e25'), 2)).toBe('10000000000000000000000000.00');
  });

  it('never rounds: more decimals than asked for is a bug upstream', () => {
    expect(() => formatDecimal(new StrictBig('12.345'), 2)).toThrow('assertion failed');
    expect(() => formatDecimal(new StrictBig('0.5'), 0)).toThrow('assertion failed');
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
