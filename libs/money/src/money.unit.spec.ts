import { StrictBig } from './decimal';
import { CurrencyMismatchError, InvalidDecimalError, UnknownCurrencyError } from './errors';
import { Money, parseAmount, roundToMinorUnit, sum } from './money';

const big = (text: string) => new StrictBig(text);

describe('Money.of and formatting', () => {
  it.each([
    ['12.5', 'USD', '12.50'], ['12', 'USD', '12.00'], ['1250', 'JPY', '1250'], ['1.25', 'KWD', '1.250'],
    ['1.25', 'IQD', '1.250'], ['12.5', 'HUF', '12.50'], ['0.0001', 'CLF', '0.0001'], ['-3', 'USD', '-3.00'],
    ['-0.00', 'USD', '0.00'], ['0', 'JPY', '0'],
  ])('%s %s is "%s"', (text, currency, expected) => {
    const money = Money.of(text, currency);
    expect(money.toString()).toBe(expected);
    expect(money.toJSON()).toBe(expected);
    expect(JSON.stringify({ amount: money })).toBe(`{"amount":"${expected}"}`);
  });

  it.each([
    ['1.234', 'USD'], ['12.5', 'JPY'], ['1250.0', 'JPY'], ['1.2345', 'KWD'], ['1.2345', 'IQD'], ['1.005', 'HUF'],
  ])('refuses %s %s: more decimals than the currency has', (text, currency) => {
    expect(() => Money.of(text, currency)).toThrow(InvalidDecimalError);
    expect(() => parseAmount(text, currency)).toThrow(InvalidDecimalError);
  });

  it('says which currency and how many decimals', () => {
    expect(() => parseAmount('1.234', 'USD')).toThrow('must have at most 2 decimal places in USD (got "1.234")');
    expect(() => parseAmount('12.5', 'JPY')).toThrow('must be a whole number in JPY (got "12.5")');
  });

  it('refuses JS numbers, exponents and unknown currencies', () => {
    expect(() => Money.of(12.5 as unknown as string, 'USD')).toThrow(InvalidDecimalError);
    expect(() => Money.of('1e3', 'USD')).toThrow(InvalidDecimalError);
    expect(() => Money.of('1', 'usd')).toThrow(UnknownCurrencyError);
    expect(() => Money.zero('XAU')).toThrow(UnknownCurrencyError);
  });

  it('is immutable', () => {
    const money = Money.of('1.00', 'USD');
    expect(Object.isFrozen(money)).toBe(true);
    expect(() => {
      (money as { currency: string }).currency = 'EUR';
    }).toThrow(TypeError);
  });
});

describe('minor units', () => {
  it.each([
    [1250n, 'USD', '12.50'], ['1250', 'JPY', '1250'], [1250n, 'KWD', '1.250'], ['-5', 'USD', '-0.05'],
    [1n, 'CLF', '0.0001'], [0n, 'IQD', '0.000'],
  ])('%p minor units of %s are %s', (minorUnits, currency, expected) => {
    const money = Money.fromMinorUnits(minorUnits, currency);
    expect(money.toString()).toBe(expected);
    expect(money.toMinorUnits()).toBe(BigInt(minorUnits));
  });

  it.each(['12.5', '1e3', '', ' 1', '+1', 'abc'])('refuses %p minor units', (minorUnits) => {
    expect(() => Money.fromMinorUnits(minorUnits, 'USD')).toThrow(InvalidDecimalError);
  });

  it('refuses JS numbers as minor units', () => {
    expect(() => Money.fromMinorUnits(1250 as unknown as bigint, 'USD')).toThrow(InvalidDecimalError);
  });
});

describe('arithmetic', () => {
  const usd = (text: string) => Money.of(text, 'USD');

  it('adds, subtracts and negates', () => {
    expect(usd('12.50').plus(usd('0.75')).toString()).toBe('13.25');
    expect(usd('1.00').minus(usd('2.50')).toString()).toBe('-1.50');
    expect(usd('1.00').negated().toString()).toBe('-1.00');
    expect(usd('0.00').negated().toString()).toBe('0.00');
  });

  it('answers sign questions', () => {
    expect(usd('0').isZero()).toBe(true);
    expect(usd('-0.01').isNegative()).toBe(true);
    expect(usd('-0.01').isPositive()).toBe(false);
    expect(usd('0.01').isPositive()).toBe(true);
    expect(usd('0').isNegative()).toBe(false);
  });

  it('compares', () => {
    expect(usd('1.00').compare(usd('2.00'))).toBe(-1);
    expect(usd('2.00').compare(usd('2'))).toBe(0);
    expect(usd('3.00').compare(usd('2.00'))).toBe(1);
    expect(usd('2.00').equals(usd('2'))).toBe(true);
    expect(usd('2.00').equals(usd('2.01'))).toBe(false);
  });

  it('refuses to mix currencies', () => {
    const eur = Money.of('1', 'EUR');
    expect(() => usd('1').plus(eur)).toThrow(CurrencyMismatchError);
    expect(() => usd('1').minus(eur)).toThrow(CurrencyMismatchError);
    expect(() => usd('1').compare(eur)).toThrow(CurrencyMismatchError);
    expect(() => usd('1').equals(eur)).toThrow(CurrencyMismatchError);
    expect(() => usd('1').plus(eur)).toThrow('must be in USD, not EUR');
    expect(() => sum('USD', [usd('1'), eur])).toThrow(CurrencyMismatchError);
  });

  it('multiplies to an unrounded Big, not Money', () => {
    const product = usd('10.00').times(big('0.123456789012'));
    expect(product).not.toBeInstanceOf(Money);
    expect(product.toString()).toBe('1.23456789012');
    expect(() => usd('10.00').times(3 as never)).toThrow(TypeError);
  });

  it('sums, and an empty sum is zero', () => {
    expect(sum('USD', [usd('1.10'), usd('2.20'), usd('-0.30')]).toString()).toBe('3.00');
    expect(sum('JPY', []).toString()).toBe('0');
  });
});

describe('roundToMinorUnit', () => {
  it.each([
    ['0.125', 'USD', '0.13'], ['-0.125', 'USD', '-0.13'], ['0.124999', 'USD', '0.12'], ['-0.124999', 'USD', '-0.12'],
    ['2.5', 'JPY', '3'], ['-2.5', 'JPY', '-3'], ['2.4999', 'JPY', '2'], ['1.5', 'JPY', '2'],
    ['1.2345', 'KWD', '1.235'], ['-1.2345', 'KWD', '-1.235'], ['0.0005', 'IQD', '0.001'], ['0.0004', 'IQD', '0.000'],
    ['0.005', 'HUF', '0.01'], ['0.00005', 'CLF', '0.0001'], ['-0.001', 'USD', '0.00'], ['12.50', 'USD', '12.50'],
  ])('%s %s rounds half-up (ties away from zero) to %s', (amount, currency, expected) => {
    expect(roundToMinorUnit(big(amount), currency, 'half_up').toString()).toBe(expected);
  });

  it('rounds a line amount once, after computing at full precision', () => {
    const unitPrice = big('0.004999999999');
    const quantity = big('1000');
    expect(roundToMinorUnit(unitPrice.times(quantity), 'USD', 'half_up').toString()).toBe('5.00');
  });

  it('refuses an unknown currency', () => {
    expect(() => roundToMinorUnit(big('1'), 'ABC', 'half_up')).toThrow(UnknownCurrencyError);
  });
});
