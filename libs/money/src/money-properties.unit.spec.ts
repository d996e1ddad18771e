import fc from 'fast-check';
import Big from 'big.js';
import { allocate } from './allocation';
import { type CurrencyCode, minorUnitDigits } from './currencies';
import { StrictBig, formatDecimal, parseDecimal } from './decimal';
import { Money, roundToMinorUnit, sum } from './money';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 500 };

const currencyArbitrary = fc.constantFrom<CurrencyCode>('JPY', 'USD', 'HUF', 'KWD', 'IQD', 'CLF');
const minorUnitsArbitrary = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });

const moneyArbitrary = (currency: CurrencyCode) =>
  minorUnitsArbitrary.map((minorUnits) => Money.fromMinorUnits(minorUnits, currency));

const digitsArbitrary = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength }).map((digits) => digits.join(''));

/** A canonical decimal text: no leading zeros, no "-0", up to 12 decimals. */
const decimalTextArbitrary = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), digitsArbitrary(12))
  .map(([isNegative, integerPart, fraction]) => {
    const unsigned = fraction === '' ? integerPart.toString() : `${integerPart}.${fraction}`;
    const isZero = /^[0.]*$/.test(unsigned);
    return isNegative && !isZero ? `-${unsigned}` : unsigned;
  });

const weightArbitrary = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), digitsArbitrary(6))
  .map(([integerPart, fraction]) => new StrictBig(fraction === '' ? integerPart.toString() : `${integerPart}.${fraction}`));

const weightsArbitrary = fc
  .array(weightArbitrary, { minLength: 1, maxLength: 30 })
  .filter((weights) => weights.some((weight) => weight.gt(new StrictBig('0'))));

describe('money properties', () => {
  it('format then parse gives back the same decimal', () => {
    fc.assert(
      fc.property(decimalTextArbitrary, (text) => {
        const decimalPlaces = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
        const value = parseDecimal(text, { maxDecimalPlaces: 12, allowNegative: true });
        expect(formatDecimal(value, decimalPlaces)).toBe(text);
      }),
      RUNS,
    );
  });

  it('Money written out parses back to the same Money and minor units', () => {
    fc.assert(
      fc.property(currencyArbitrary, minorUnitsArbitrary, (currency, minorUnits) => {
        const money = Money.fromMinorUnits(minorUnits, currency);
        const text = money.toString();
        expect(Money.of(text, currency).equals(money)).toBe(true);
        expect(money.toMinorUnits()).toBe(minorUnits);
        expect(text.includes('.') ? text.length - text.indexOf('.') - 1 : 0).toBe(minorUnitDigits(currency));
      }),
      RUNS,
    );
  });

  it('minus undoes plus', () => {
    fc.assert(
      fc.property(
        currencyArbitrary.chain((currency) => fc.tuple(moneyArbitrary(currency), moneyArbitrary(currency))),
        ([a, b]) => {
          expect(a.plus(b).minus(b).equals(a)).toBe(true);
          expect(a.minus(b).plus(b).equals(a)).toBe(true);
          expect(a.plus(b.negated()).equals(a.minus(b))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('addition is commutative and associative, and agrees with minor units', () => {
    fc.assert(
      fc.property(
        currencyArbitrary.chain((currency) =>
          fc.tuple(moneyArbitrary(currency), moneyArbitrary(currency), moneyArbitrary(currency)),
        ),
        ([a, b, c]) => {
          expect(a.plus(b).equals(b.plus(a))).toBe(true);
          expect(a.plus(b).plus(c).equals(a.plus(b.plus(c)))).toBe(true);
          expect(a.plus(b).toMinorUnits()).toBe(a.toMinorUnits() + b.toMinorUnits());
          expect(sum(a.currency, [a, b, c]).toMinorUnits()).toBe(a.toMinorUnits() + b.toMinorUnits() + c.toMinorUnits());
        },
      ),
      RUNS,
    );
  });

  it('rounding lands within half a minor unit, ties away from zero, symmetric in sign', () => {
    fc.assert(
      fc.property(currencyArbitrary, decimalTextArbitrary, (currency, text) => {
        const exact = parseDecimal(text, { maxDecimalPlaces: 12, allowNegative: true });
        const rounded = roundToMinorUnit(exact, currency, 'half_up');
        const halfMinorUnit = new StrictBig(`5e-${minorUnitDigits(currency) + 1}`);
        const error = rounded.amount.minus(exact).abs();
        expect(error.lte(halfMinorUnit)).toBe(true);
        if (error.eq(halfMinorUnit)) expect(rounded.amount.abs().gt(exact.abs())).toBe(true);
        expect(roundToMinorUnit(exact.neg(), currency, 'half_up').equals(rounded.negated())).toBe(true);
      }),
      RUNS,
    );
  });

  it('rounds inputs that are exact ties the same way: half-up, away from zero', () => {
    fc.assert(
      fc.property(currencyArbitrary, minorUnitsArbitrary, (currency, minorUnits) => {
        const scale = new StrictBig(`1e${minorUnitDigits(currency)}`);
        const tie = new StrictBig(minorUnits.toString()).plus(new StrictBig('0.5')).div(scale);
        const expected = minorUnits >= 0n ? minorUnits + 1n : minorUnits;
        const expectedForNegative = -expected;
        expect(roundToMinorUnit(tie, currency, 'half_up').toMinorUnits()).toBe(expected);
        expect(roundToMinorUnit(tie.neg(), currency, 'half_up').toMinorUnits()).toBe(expectedForNegative);
      }),
      RUNS,
    );
  });

  it('allocate sums exactly to the total and keeps each part within one minor unit of its share', () => {
    fc.assert(
      fc.property(currencyArbitrary, minorUnitsArbitrary, weightsArbitrary, (currency, minorUnits, weights) => {
        const total = Money.fromMinorUnits(minorUnits, currency);
        const parts = allocate(total, weights);
        expect(parts).toHaveLength(weights.length);
        expect(sum(currency, parts).equals(total)).toBe(true);
        const weightTotal = weights.reduce((running: Big, weight) => running.plus(weight), new StrictBig('0'));
        const totalMinorUnits = new StrictBig(minorUnits.toString());
        parts.forEach((part, index) => {
          // |part − total × weight / weightTotal| ≤ 1 minor unit, multiplied out to stay exact.
          const partMinorUnits = new StrictBig(part.toMinorUnits().toString());
          const gap = partMinorUnits.times(weightTotal).minus(totalMinorUnits.times(weights[index]!)).abs();
          expect(gap.lte(weightTotal)).toBe(true);
          expect(part.isNegative() && total.isPositive()).toBe(false);
          expect(part.isPositive() && total.isNegative()).toBe(false);
          if (weights[index]!.eq(new StrictBig('0'))) expect(part.isZero()).toBe(true);
        });
        const negatedParts = allocate(total.negated(), weights);
        negatedParts.forEach((part, index) => expect(part.equals(parts[index]!.negated())).toBe(true));
      }),
      RUNS,
    );
  });
});
