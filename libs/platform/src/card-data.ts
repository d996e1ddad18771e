/**
 * PCI DSS scope reduction: Accrual accepts no cardholder data (docs/compliance.md). A payment
 * card number (PAN) is 13 to 19 digits passing the Luhn check, often written in groups separated
 * by spaces or dashes. Any string in a request that holds one is refused, wherever it hides.
 */

/** A run of digits, single spaces or dashes allowed between digits; the run is judged whole. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;
export const CARD_NUMBER_DIGITS_MIN = 13;
export const CARD_NUMBER_DIGITS_MAX = 19;

/**
 * Fields holding a decimal number (amounts, quantities, percentages): exempt when their value is
 * a plain decimal, since it is parsed as a number, and a 16-digit quantity (bytes of usage, say)
 * is a quantity, not a card. Anything else in them (spaces, dashes) is still checked.
 */
export const DECIMAL_FIELDS: ReadonlySet<string> = new Set([
  'amount',
  'unitAmount',
  'flatAmount',
  'amountOff',
  'percentOff',
  'percentage',
  'quantity',
  'upTo',
  'packageSize',
]);
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** The Luhn (mod 10) check of a string of digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Matches exactly when some digit run holds at least 13 digits: one regex test that clears almost
 * every string before the run-by-run check (which made this walk the usage API's largest cost, about
 * 17 µs per event of a 1,000-event batch; docs/benchmarks.md).
 */
const CARD_NUMBER_CANDIDATE = new RegExp(`\\d(?:[ -]?\\d){${CARD_NUMBER_DIGITS_MIN - 1}}`);

/**
 * True when the text holds a card number: 13–19 digits passing Luhn, written bare or in the
 * groups cards are printed in (4-4-4-4…, the last group shorter; Amex/Diners 4-6-5 and 4-6-4),
 * with one kind of separator, a space or a dash. Other groupings of digits are not how anyone
 * writes a card (`evt-20260115-000123` is a date and a counter), so each group is judged alone.
 */
export function containsCardNumber(text: string): boolean {
  if (!hasCardNumberDigits(text) || !CARD_NUMBER_CANDIDATE.test(text)) return false;
  for (const match of text.matchAll(DIGIT_RUN)) {
    const groups = match[0].split(/[ -]/);
    if (groups.length > 1 && isCardGrouping(match[0], groups) && isCardDigits(groups.join(''))) return true;
    if (groups.some(isCardDigits)) return true;
  }
  return false;
}

function isCardDigits(digits: string): boolean {
  return digits.length >= CARD_NUMBER_DIGITS_MIN && digits.length <= CARD_NUMBER_DIGITS_MAX && passesLuhn(digits);
}

function isCardGrouping(run: string, groups: readonly string[]): boolean {
  const separators = new Set(run.replace(/\d/g, ''));
  if (separators.size !== 1) return false;
  const lengths = groups.map((group) => group.length);
  const last = lengths[lengths.length - 1];
  if (lengths.slice(0, -1).every((length) => length === 4) && last >= 1 && last <= 4) return true;
  return lengths.length === 3 && lengths[0] === 4 && lengths[1] === 6 && (last === 4 || last === 5);
}

/**
 * True when `text` holds at least CARD_NUMBER_DIGITS_MIN ASCII digits (what `\d` matches): with
 * fewer, no card number can hide in it. A loop over the text, far cheaper than a regex call for the
 * short strings (ids, codes, timestamps) that make up almost all of a body.
 */
export function hasCardNumberDigits(text: string): boolean {
  let digits = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57 && ++digits >= CARD_NUMBER_DIGITS_MIN) return true;
  }
  return false;
}

/**
 * The paths (`lines[0].description`, `properties.card`) of every string in `value` that holds a
 * card number, keys included. Empty when there is none. A body without any (almost every body) is
 * cleared by `hasCardData`'s walk, which builds no paths; the paths are named only when it finds one.
 */
export function findCardData(value: unknown): string[] {
  return hasCardData(value) ? cardDataPaths(value) : [];
}

/**
 * Whether `value` holds a card number anywhere `cardDataPaths` would find one (keys included), by
 * the same rules, without naming where: no path strings or per-item objects, so clean bodies cost
 * little (a property test holds it to `cardDataPaths`). Its own stack, not recursion.
 */
export function hasCardData(value: unknown): boolean {
  const values: unknown[] = [value];
  // The property name each pending value sits under ('' for the body and array elements), for
  // the DECIMAL_FIELDS exemption.
  const keys: string[] = [''];
  while (values.length > 0) {
    const item = values.pop();
    const key = keys.pop() as string;
    if (typeof item === 'string') {
      if (isCardData(item, key)) return true;
    } else if (Array.isArray(item)) {
      for (let index = 0; index < item.length; index += 1) {
        const element: unknown = item[index];
        // Strings, most of a body, are judged here rather than pushed and popped.
        if (typeof element === 'string') {
          if (isCardData(element, '')) return true;
        } else if (typeof element === 'object' && element !== null) {
          values.push(element);
          keys.push('');
        }
      }
    } else if (typeof item === 'object' && item !== null) {
      for (const name of Object.keys(item)) {
        if (containsCardNumber(name)) return true;
        const element: unknown = (item as Record<string, unknown>)[name];
        if (typeof element === 'string') {
          if (isCardData(element, name)) return true;
        } else if (typeof element === 'object' && element !== null) {
          values.push(element);
          keys.push(name);
        }
      }
    }
  }
  return false;
}

/**
 * `findCardData` without the fast clearance: walks every value, naming each path as it goes.
 * Walks with a stack of its own rather than by recursion, so no nesting depth can overflow the
 * call stack.
 */
export function cardDataPaths(value: unknown): string[] {
  const found: string[] = [];
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: item, path } = next;
    if (typeof item === 'string') {
      if (isCardData(item, path)) found.push(path || '(body)');
    } else if (Array.isArray(item)) {
      item.forEach((element, index) => pending.push({ value: element, path: `${path}[${index}]` }));
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, element] of Object.entries(item)) {
        const at = path ? `${path}.${key}` : key;
        if (containsCardNumber(key)) found.push(at);
        pending.push({ value: element, path: at });
      }
    }
  }
  return found.sort();
}

/**
 * Whether the string `text`, found at `path` (or under the property name `path`: the part after
 * the last dot is the same), is card data; plain decimals in DECIMAL_FIELDS are exempt.
 */
function isCardData(text: string, path: string): boolean {
  if (!hasCardNumberDigits(text) || !CARD_NUMBER_CANDIDATE.test(text)) return false;
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (DECIMAL_FIELDS.has(key) && PLAIN_DECIMAL.test(text)) return false;
  return containsCardNumber(text);
}
