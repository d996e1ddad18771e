import Big from 'big.js';
import { assert } from './assert';
import { type CurrencyCode, checkCurrencyCode, minorUnitDigits } from './currencies';
import { DECIMAL_TEXT_LENGTH_MAX, StrictBig, ZERO, decimalPlacesOf, formatDecimal, parseDecimalSyntax } from './decimal';
import { CurrencyMismatchError, InvalidDecimalError, quoteInput } from './errors';

/**
 * How an amount computed at full precision becomes Money. The contract allows one mode; it is
 * still a parameter so that every call site that rounds money says how.
 */
export type Rounding = 'half_up';

/**
 * An amount in one currency, with exactly the currency's minor unit digits (never more), immutable.
 * It is made only from decimal strings or whole minor units, never from JS numbers, and it
 * refuses to mix currencies. Anything with more precision (a unit price, a prorated share) is a
 * plain Big until it is rounded explicitly with roundToMinorUnit.
 */
export class Money {
  readonly amount: Big;
  readonly currency: CurrencyCode;

  private constructor(amount: Big, currency: CurrencyCode) {
    assert(
      amount.round(minorUnitDigits(currency), StrictBig.roundDown).eq(amount),
      `a ${currency} amount has at most ${minorUnitDigits(currency)} decimal places, got ${amount.toFixed()}`,
    );
    // Zero is stored without a sign, so -0 never shows up in output or comparisons.
    this.amount = amount.eq(ZERO) ? ZERO : amount;
    this.currency = currency;
    Object.freeze(this);
  }

  /** From a decimal string in major units: `Money.of("12.50", "USD")`. Negative amounts allowed. */
  static of(text: string, currency: string): Money {
    const currencyCode = checkCurrencyCode(currency);
    return new Money(parseAmount(text, currencyCode), currencyCode);
  }

  /** From a whole number of minor units: `Money.fromMinorUnits(1250n, "USD")` is 12.50 USD. */
  static fromMinorUnits(minorUnits: bigint | string, currency: string): Money {
    const currencyCode = checkCurrencyCode(currency);
    const minorUnitsText = typeof minorUnits === 'bigint' ? minorUnits.toString() : minorUnits;
    // Dividing by a power of ten of at most 4 is exact within the 40 places StrictBig keeps.
    const amount = parseMinorUnits(minorUnitsText).div(minorUnitScale(currencyCode));
    return new Money(amount, currencyCode);
  }

  static zero(currency: string): Money {
    return new Money(ZERO, checkCurrencyCode(currency));
  }

  plus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amount.plus(other.amount), this.currency);
  }

  minus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amount.minus(other.amount), this.currency);
  }

  negated(): Money {
    return new Money(this.amount.neg(), this.currency);
  }

  isZero(): boolean {
    return this.amount.eq(ZERO);
  }

  isNegative(): boolean {
    return this.amount.lt(ZERO);
  }

  isPositive(): boolean {
    return this.amount.gt(ZERO);
  }

  /** -1, 0 or 1, as this amount is below, equal to or above the other. */
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.amount.cmp(other.amount);
  }

  /** Throws on another currency rather than answering false: comparing them is a bug upstream. */
  equals(other: Money): boolean {
    this.assertSameCurrency(other);
    return this.amount.eq(other.amount);
  }

  /**
   * The exact product, NOT rounded and NOT Money: a line amount (unit price × quantity, × tax
   * rate, …) stays at full precision until the caller rounds it once with roundToMinorUnit.
   */
  times(factor: Big): Big {
    return this.amount.times(factor);
  }

  /** 12.50 USD → 1250n; 1250 JPY → 1250n; 1.250 KWD → 1250n. */
  toMinorUnits(): bigint {
    const minorUnits = this.amount.times(minorUnitScale(this.currency));
    return BigInt(minorUnits.toFixed(0, StrictBig.roundDown));
  }

  /** Exactly the currency's minor unit digits: "12.50" USD, "1250" JPY, "1.250" KWD. */
  toString(): string {
    return formatDecimal(this.amount, minorUnitDigits(this.currency));
  }

  /** The contract's wire form: a decimal string in major units, never a JSON number. */
  toJSON(): string {
    return this.toString();
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency !== this.currency) throw new CurrencyMismatchError(this.currency, other.currency);
  }
}

/**
 * A decimal string checked against the currency: "12.5" and "12.50" are fine for USD, "12.505"
 * is refused, not rounded (an amount someone typed with too many digits is a mistake to report).
 */
export function parseAmount(text: string, currency: string): Big {
  const digits = minorUnitDigits(currency);
  const amount = parseDecimalSyntax(text);
  if (decimalPlacesOf(text) > digits) {
    const allowed = digits === 0 ? 'must be a whole number' : `must have at most ${digits} decimal places`;
    throw new InvalidDecimalError(text, `${allowed} in ${currency} (got ${quoteInput(text)})`);
  }
  return amount;
}

/**
 * Round a full-precision amount to the currency's minor unit. Half-up is big.js `roundHalfUp`:
 * ties go away from zero for both signs (0.125 → 0.13 and -0.125 → -0.13 USD), so negating an
 * amount before or after rounding gives the same result, and a credit note mirrors its invoice.
 */
export function roundToMinorUnit(amount: Big, currency: string, rounding: Rounding): Money {
  assert(rounding === 'half_up', `unsupported rounding ${String(rounding)}`);
  const currencyCode = checkCurrencyCode(currency);
  const minorUnits = amount.times(minorUnitScale(currencyCode)).round(0, StrictBig.roundHalfUp);
  return Money.fromMinorUnits(minorUnits.toFixed(0, StrictBig.roundDown), currencyCode);
}

/** The total of amounts in one currency; zero for none. Another currency is refused. */
export function sum(currency: string, moneys: readonly Money[]): Money {
  return moneys.reduce((total, money) => total.plus(money), Money.zero(currency));
}

/** 10 ^ digits: how many minor units make one major unit. */
function minorUnitScale(currency: CurrencyCode): Big {
  return new StrictBig(`1e${minorUnitDigits(currency)}`);
}

const MINOR_UNITS_PATTERN = /^-?\d+$/;

function parseMinorUnits(text: unknown): Big {
  const isValid = typeof text === 'string' && text.length <= DECIMAL_TEXT_LENGTH_MAX && MINOR_UNITS_PATTERN.test(text);
  if (!isValid) {
    throw new InvalidDecimalError(String(text), `must be a whole number of minor units like "1250" (got ${quoteInput(String(text))})`);
  }
  return new StrictBig(text);
}
