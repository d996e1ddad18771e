import { Money } from '@accrual/money';
import { FieldError } from '../shared/errors';
import { assertNotInFuture, Instant, parseInstant } from '../time/instant';

/**
 * Input checks shared by payments, refunds, credit notes, void and uncollectible. They collect
 * field errors rather than throwing at the first, so one 400 names every field at fault.
 */

export const REASON_LENGTH_MAX = 500;

/** A business instant: RFC 3339, at most 5 minutes after the wall clock; backdating is allowed. */
export function businessInstantField(errors: FieldError[], field: string, value: unknown, wallClockNow: Instant): Instant | null {
  try {
    const instant = parseInstant(field, value);
    assertNotInFuture(field, instant, wallClockNow);
    return instant;
  } catch (error) {
    errors.push(...((error as { errors?: FieldError[] }).errors ?? [{ field, message: (error as Error).message }]));
    return null;
  }
}

/** A money amount: a decimal string within the currency's minor unit digits, above zero. */
export function positiveAmountField(errors: FieldError[], field: string, value: unknown, currency: string): Money | null {
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a decimal string, e.g. "12.50"' });
    return null;
  }
  try {
    // Money.of checks the syntax and refuses more digits than the currency has (parseAmount).
    const amount = Money.of(value, currency);
    if (amount.isPositive()) return amount;
    errors.push({ field, message: 'must be more than zero' });
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
  }
  return null;
}

export function reasonField(errors: FieldError[], field: string, value: unknown): string | null {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > REASON_LENGTH_MAX) {
    errors.push({ field, message: `must be a non-empty string of at most ${REASON_LENGTH_MAX} characters` });
    return null;
  }
  return value;
}

/** The smaller of two amounts in one currency. */
export function minMoney(left: Money, right: Money): Money {
  return left.compare(right) <= 0 ? left : right;
}
