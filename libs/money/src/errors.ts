/**
 * Every refusal of this library is a MoneyError, so the API layer can map the whole family to
 * one HTTP answer (400, bad input) in one place and read `code` to say which rule was broken.
 * Bugs in the callers are not MoneyErrors: they fail an assertion instead (see assert.ts).
 */
export type MoneyErrorCode = 'invalid-decimal' | 'unknown-currency' | 'currency-mismatch' | 'invalid-allocation';

export abstract class MoneyError extends Error {
  abstract readonly code: MoneyErrorCode;
}

/**
 * A text (or a JS value) that is not an acceptable decimal. The message is a predicate meant to
 * follow a field name ("amount must be …"), so it reads well inside problem+json `errors[]`.
 */
export class InvalidDecimalError extends MoneyError {
  readonly code = 'invalid-decimal';

  constructor(
    /** The refused input, as received (shortened in the message, never here). */
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidDecimalError';
  }
}

export class UnknownCurrencyError extends MoneyError {
  readonly code = 'unknown-currency';

  constructor(readonly currency: string) {
    super(`must be an active ISO 4217 currency code with minor units, like "USD" (got ${quoteInput(currency)})`);
    this.name = 'UnknownCurrencyError';
  }
}

/** Adding dollars to euros is a bug upstream, but it is refused as bad input all the same. */
export class CurrencyMismatchError extends MoneyError {
  readonly code = 'currency-mismatch';

  constructor(readonly currencyExpected: string, readonly currencyActual: string) {
    super(`must be in ${currencyExpected}, not ${currencyActual}`);
    this.name = 'CurrencyMismatchError';
  }
}

/** Weights that cannot split a total: none, too many, a negative one, or all zero. */
export class InvalidAllocationError extends MoneyError {
  readonly code = 'invalid-allocation';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidAllocationError';
  }
}

const QUOTED_INPUT_LENGTH_MAX = 32;

/** Echo what was received, but never a whole megabyte of it, back into an error message. */
export function quoteInput(input: string): string {
  const shortened = input.length > QUOTED_INPUT_LENGTH_MAX ? `${input.slice(0, QUOTED_INPUT_LENGTH_MAX)}…` : input;
  return JSON.stringify(shortened);
}
