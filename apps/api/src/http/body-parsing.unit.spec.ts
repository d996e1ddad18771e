import fc from 'fast-check';
import { Request, Response } from 'express';
import { MAX_BODY_DEPTH, refuseUnstorableText } from './body-parsing';

/** The rule itself, written out: a NUL, or half of a UTF-16 surrogate pair. */
const UNSTORABLE_REFERENCE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The problem type refuseUnstorableText answers for `body`, or null when it lets it through. */
function refusalOf(body: unknown): string | null {
  let sent: string | null = null;
  let passed = false;
  const response = {
    status: () => response,
    type: () => response,
    send: (text: string) => {
      sent = text;
      return response;
    },
  };
  refuseUnstorableText({ url: '/v1/usage/batch', body } as Request, response as unknown as Response, () => {
    passed = true;
  });
  expect(passed).toBe(sent === null);
  return sent === null ? null : (JSON.parse(sent) as { type: string }).type;
}

// Text from code units that include NUL, ASCII, digits and both halves of surrogate pairs.
const unit = fc.oneof(
  fc.constantFrom(0, 0x30, 0x41, 0xd83d, 0xde00, 0xdbff, 0xdc00),
  fc.integer({ min: 0, max: 0xffff }),
);
const text = fc.array(unit, { maxLength: 8 }).map((codes) => String.fromCharCode(...codes));

describe('refuseUnstorableText', () => {
  const verdict = (value: string) => (UNSTORABLE_REFERENCE.test(value) ? 'invalid-text' : null);

  it('refuses a string value, anywhere, exactly when it holds a NUL or a lone surrogate', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(refusalOf(value)).toBe(verdict(value));
        expect(refusalOf({ events: [{ id: 'u-1', properties: { region: value } }, { id: 'u-2' }] })).toBe(verdict(value));
        expect(refusalOf(['ok', [value], 'ok'])).toBe(verdict(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a key exactly when it holds a NUL or a lone surrogate', () => {
    fc.assert(
      fc.property(text, (key) => {
        expect(refusalOf({ [key]: 1 })).toBe(verdict(key));
        expect(refusalOf({ events: [{ properties: { [key]: 'x' } }] })).toBe(verdict(key));
      }),
      { numRuns: 3000 },
    );
  });

  it(`refuses nesting of more than ${MAX_BODY_DEPTH} arrays or objects, and no less`, () => {
    for (let levels = 1; levels <= MAX_BODY_DEPTH + 3; levels += 1) {
      let body: unknown = 'x';
      for (let level = 0; level < levels; level += 1) body = level % 2 === 0 ? [body] : { inner: body };
      expect(refusalOf(body)).toBe(levels > MAX_BODY_DEPTH ? 'invalid-body' : null);
    }
  });
});
