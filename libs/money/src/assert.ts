/**
 * An invariant of the books that only a bug can break (parts that do not sum to their total,
 * a Money with more digits than its currency has). It throws a plain Error, not a MoneyError,
 * so it surfaces as a 500 and a stack trace instead of being blamed on the request.
 */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
