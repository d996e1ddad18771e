import fc from 'fast-check';
import { cardDataPaths, containsCardNumber, DECIMAL_FIELDS, findCardData, hasCardData, hasCardNumberDigits, passesLuhn } from './card-data';

/** Appends the Luhn check digit to a string of digits. */
function withCheckDigit(body: string): string {
  for (let check = 0; check <= 9; check += 1) {
    if (passesLuhn(`${body}${check}`)) return `${body}${check}`;
  }
  throw new Error('unreachable: one check digit always fits');
}

const digitString = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((digits) => digits.join(''));

describe('passesLuhn', () => {
  it('knows the published test numbers of the card schemes', () => {
    for (const number of ['4111111111111111', '4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '4000056655665556']) {
      expect(passesLuhn(number)).toBe(true);
    }
    expect(passesLuhn('4111111111111112')).toBe(false);
  });

  it('accepts exactly one check digit out of ten for any body', () => {
    fc.assert(
      fc.property(digitString(1, 30), (body) => {
        const passing = Array.from({ length: 10 }, (_, check) => passesLuhn(`${body}${check}`)).filter(Boolean);
        expect(passing).toHaveLength(1);
      }),
    );
  });

  it('catches every single-digit typo of a valid number', () => {
    fc.assert(
      fc.property(digitString(12, 18), fc.nat(), fc.integer({ min: 1, max: 9 }), (body, where, delta) => {
        const number = withCheckDigit(body);
        const index = where % number.length;
        const typo = `${number.slice(0, index)}${(Number(number[index]) + delta) % 10}${number.slice(index + 1)}`;
        expect(passesLuhn(typo)).toBe(false);
      }),
    );
  });
});

describe('containsCardNumber', () => {
  it('finds any 13–19 digit Luhn number, bare, grouped by spaces or dashes, inside other text', () => {
    fc.assert(
      fc.property(digitString(12, 18), fc.constantFrom('', ' ', '-'), fc.string(), fc.string(), (body, separator, before, after) => {
        const number = withCheckDigit(body);
        const grouped = number.match(/.{1,4}/g)!.join(separator);
        // Text around it must not run into its digits, else it is another, longer number.
        expect(containsCardNumber(`${before.replace(/[\d -]/g, '')} ${grouped} ${after.replace(/[\d -]/g, '')}`)).toBe(true);
      }),
    );
  });

  it('leaves numbers alone that are too short, too long, or fail Luhn', () => {
    fc.assert(
      fc.property(digitString(1, 11), (body) => {
        expect(containsCardNumber(withCheckDigit(body))).toBe(false);
      }),
    );
    expect(containsCardNumber(withCheckDigit('4111111111111111111'))).toBe(false);
    expect(containsCardNumber('4111 1111 1111 1112')).toBe(false);
    expect(containsCardNumber('2026-01-15T00:00:00Z')).toBe(false);
    expect(containsCardNumber('INV-000001')).toBe(false);
    // Two spaces are two separate numbers, neither long enough.
    expect(containsCardNumber('4111 1111  1111 1111')).toBe(false);
  });

  it('finds Amex and Diners groupings, and a bare card number inside another grouping', () => {
    expect(containsCardNumber('3782 822463 10005')).toBe(true);
    expect(containsCardNumber('3056-930902-5904')).toBe(true);
    expect(containsCardNumber('ref 4111111111111111-2')).toBe(true);
    // Mixed separators are not how a card is written: each group is judged alone.
    expect(containsCardNumber('4111 1111-1111 1111')).toBe(false);
  });

  it('leaves usage ids made of a date and a counter alone, whatever their check digit', () => {
    fc.assert(
      fc.property(digitString(8, 8), digitString(4, 10), fc.constantFrom('-', ' '), (date, counter, separator) => {
        expect(containsCardNumber(`evt-${date}${separator}${counter}`)).toBe(false);
      }),
    );
  });
});

describe('findCardData', () => {
  const visa = '4111 1111 1111 1111';

  it('names the path of every string holding a card number, keys included', () => {
    const body = {
      name: `Ada ${visa}`,
      lines: [{ description: 'ok' }, { description: `card ${visa}` }],
      properties: { nested: { deeper: [visa] }, [visa.replace(/ /g, '')]: 'as a key' },
    };
    expect(findCardData(body)).toEqual(['lines[1].description', 'name', 'properties.4111111111111111', 'properties.nested.deeper[0]']);
    expect(findCardData(visa)).toEqual(['(body)']);
  });

  it('exempts plain decimals in amount and quantity fields, which are parsed as numbers', () => {
    expect(findCardData({ quantity: '4111111111111111', amount: '4111111111111111.00', lines: [{ unitAmount: '4111111111111111' }] })).toEqual([]);
    expect(findCardData({ quantity: visa })).toEqual(['quantity']);
    expect(findCardData({ reference: '4111111111111111' })).toEqual(['reference']);
  });

  it('ignores numbers, booleans and null, and walks any depth without overflowing', () => {
    expect(findCardData({ quantity: 4111111111111111, taxExempt: true, region: null })).toEqual([]);
    let deep: unknown = visa;
    for (let depth = 0; depth < 20_000; depth += 1) deep = [deep];
    expect(findCardData({ deep })).toHaveLength(1);
  });
});

describe('the fast clearance agrees with the full walk', () => {
  const cardLike = digitString(12, 18).chain((body) =>
    fc.constantFrom('', ' ', '-', '.00').map((separator) => {
      const number = withCheckDigit(body);
      return separator === '.00' ? `${number}.00` : number.match(/.{1,4}/g)!.join(separator);
    }),
  );
  const text = fc.oneof(
    fc.string(),
    cardLike,
    cardLike.map((card) => `ref ${card} end`),
    digitString(1, 25),
    fc.constantFrom('evt-20260115-000123', '2026-01-15T00:00:00Z', '4111 1111-1111 1111', ''),
  );
  const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...DECIMAL_FIELDS, 'a.quantity', 'quantity.a', 'ref'), cardLike);
  const { body } = fc.letrec((tie) => ({
    body: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.array(tie('body'), { maxLength: 4 }),
      fc.dictionary(key, tie('body'), { maxKeys: 4 }),
    ),
  }));

  it('hasCardData is true exactly when cardDataPaths names a path, and findCardData names the same', () => {
    fc.assert(
      fc.property(body, (value) => {
        const paths = cardDataPaths(value);
        expect(hasCardData(value)).toBe(paths.length > 0);
        expect(findCardData(value)).toEqual(paths);
      }),
      { numRuns: 2000 },
    );
  });

  it('hasCardNumberDigits is true exactly when the text holds at least 13 ASCII digits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), text, fc.string({ unit: 'binary' })), (value) => {
        expect(hasCardNumberDigits(value)).toBe((value.match(/\d/g) ?? []).length >= 13);
      }),
      { numRuns: 2000 },
    );
    expect(hasCardNumberDigits('411111111111')).toBe(false);
    expect(hasCardNumberDigits('4111 1111 1111 1')).toBe(true);
    // Other scripts' digits are not what a card number (or `\d`) is made of.
    expect(hasCardNumberDigits('٤١١١١١١١١١١١١١١١')).toBe(false);
  });

  it('clears a body whose only card number sits in a dotted key ending in a decimal field, as the full walk does', () => {
    const value = { properties: { 'bytes.quantity': '4111111111111111', 'bytes.ref': '4111111111111111' } };
    expect(findCardData(value)).toEqual(['properties.bytes.ref']);
    expect(hasCardData({ properties: { 'bytes.quantity': '4111111111111111' } })).toBe(false);
  });
});
