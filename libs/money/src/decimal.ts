import Big from 'big.js';
import { assert } from './assert';
import { InvalidDecimalError, quoteInput } from './errors';

/**
 * Decimal places kept by `div`. Nothing in billing divides to more than about 24 places (a
 * 12-place unit price times a 12-place quantity), so 40 leaves room without inviting huge values.
 */
export const DIVISION_DECIMAL_PLACES_MAX = 40;

/** Longest decimal text we parse: a bound on the work one request can ask of big.js. */
export const DECIMAL_TEXT_LENGTH_MAX = 64;

/** Quantities may carry up to 12 decimal places (metered usage in fractions of a unit). */
export const QUANTITY_DECIMAL_PLACES_MAX = 12;

/**
 * Our own Big constructor, so the settings below never leak into, or depend on, the global `Big`
 * that other code (and other libraries) share.
 */
export const StrictBig: Big.BigConstructor = Big();

// JS numbers carry binary rounding error (0.1 + 0.2) into the books: refuse them, and refuse
// valueOf, so `big + 1` or `big.lt(0)` fail loudly instead of computing with floats.
StrictBig.strict = true;

// Division truncates (rounds toward zero) at 40 places. A truncated quotient, rounded afterwards
// to fewer places half-up or down, gives the same result as rounding the exact quotient: no
// double rounding. Callers still pass the rounding mode to `round` and `toFixed` explicitly.
StrictBig.DP = DIVISION_DECIMAL_PLACES_MAX;
StrictBig.RM = StrictBig.roundDown;

// Never exponent notation from toString: a Big written out must parse back with parseDecimal.
StrictBig.NE = -1e6;
StrictBig.PE = 1e6;

/** Big values are never mutated by big.js methods, so one frozen zero can be shared (internal). */
export const ZERO: Big = Object.freeze(new StrictBig('0'));

/** Digits, an optional leading "-", an optional "." followed by digits. Nothing else. */
const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/;

const DECIMAL_SYNTAX_HINT =
  'must be a decimal string like "12.50": digits, an optional leading "-" and "." ' +
  '(no exponent, "+", spaces, hex, NaN or Infinity)';

export interface ParseDecimalOptions {
  /** The most digits allowed after the point: 2 for USD amounts, 12 for unit prices. */
  maxDecimalPlaces: number;
  allowNegative: boolean;
}

/** Parse a decimal text strictly: `^-?\d+(\.\d+)?$`, at most `maxDecimalPlaces` decimals. */
export function parseDecimal(text: string, options: ParseDecimalOptions): Big {
  assertDecimalPlacesValid(options.maxDecimalPlaces);
  const value = parseDecimalSyntax(text);
  const decimalPlaces = decimalPlacesOf(text);
  if (decimalPlaces > options.maxDecimalPlaces) {
    throw new InvalidDecimalError(
      text,
      `must have at most ${options.maxDecimalPlaces} decimal places (got ${quoteInput(text)})`,
    );
  }
  if (!options.allowNegative && value.lt(ZERO)) {
    throw new InvalidDecimalError(text, `must not be negative (got ${quoteInput(text)})`);
  }
  return value;
}

/**
 * A quantity: a non-negative decimal string with up to 12 places, or a whole JSON number that is
 * a safe integer (the contract accepts `"quantity": 3`). Fractional JS numbers are refused
 * because `0.1` has already lost its exact value by the time we see it.
 */
export function parseQuantity(value: unknown): Big {
  if (typeof value === 'number') return parseQuantityNumber(value);
  if (typeof value !== 'string') {
    throw new InvalidDecimalError(String(value), 'must be a decimal string like "1.5" or a whole number');
  }
  return parseDecimal(value, { maxDecimalPlaces: QUANTITY_DECIMAL_PLACES_MAX, allowNegative: false });
}

function parseQuantityNumber(value: number): Big {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidDecimalError(
      String(value),
      `must be a whole number below 2^53, or a decimal string like "1.5" (got ${value})`,
    );
  }
  if (value < 0) throw new InvalidDecimalError(String(value), `must not be negative (got ${value})`);
  // String(-0) is "0", and a safe integer never prints with an exponent.
  return new StrictBig(String(value));
}

/**
 * The value written with exactly `decimalPlaces` decimals ("12.5" at 2 → "12.50"). It pads but
 * never rounds: a value with more decimals is a bug upstream (round explicitly first).
 */
export function formatDecimal(value: Big, decimalPlaces: number): string {
  assertDecimalPlacesValid(decimalPlaces);
  assert(
    value.round(decimalPlaces, StrictBig.roundDown).eq(value),
    `formatDecimal(${value.toFixed()}, ${decimalPlaces}) would round; round explicitly first`,
  );
  return value.toFixed(decimalPlaces, StrictBig.roundDown);
}

/**
 * The syntax check alone, shared with parseAmount (which words its own decimal-places message).
 * Typed `unknown` because JS callers and parsed JSON can hand us anything.
 */
export function parseDecimalSyntax(text: unknown): Big {
  if (typeof text !== 'string') {
    throw new InvalidDecimalError(String(text), `${DECIMAL_SYNTAX_HINT} (got a ${typeof text})`);
  }
  if (text.length > DECIMAL_TEXT_LENGTH_MAX) {
    throw new InvalidDecimalError(text, `must be at most ${DECIMAL_TEXT_LENGTH_MAX} characters long`);
  }
  if (!DECIMAL_PATTERN.test(text)) {
    throw new InvalidDecimalError(text, `${DECIMAL_SYNTAX_HINT} (got ${quoteInput(text)})`);
  }
  const value = new StrictBig(text);
  // "-0" and "-0.00" become plain zero, so no "-0" is ever stored or printed.
  return value.eq(ZERO) ? ZERO : value;
}

/** Digits after the point, as written: "1.50" has 2. Only for texts that passed the syntax. */
export function decimalPlacesOf(text: string): number {
  const pointIndex = text.indexOf('.');
  return pointIndex === -1 ? 0 : text.length - pointIndex - 1;
}

function assertDecimalPlacesValid(decimalPlaces: number): void {
  assert(
    Number.isSafeInteger(decimalPlaces) && decimalPlaces >= 0 && decimalPlaces <= DIVISION_DECIMAL_PLACES_MAX,
    `decimal places must be an integer from 0 to ${DIVISION_DECIMAL_PLACES_MAX}, got ${decimalPlaces}`,
  );
}
