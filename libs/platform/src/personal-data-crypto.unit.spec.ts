import fc from 'fast-check';
import {
  decodeDataKey,
  encodeDataKey,
  newDataKey,
  openPersonalFields,
  parseMasterKey,
  PersonalDataKeyError,
  sealPersonalFields,
} from './personal-data-crypto';

const fields = { name: 'Ada Lovelace', email: 'ada@example.com', address: { line1: '12 St James Square', line2: null, city: 'London', state: null, postalCode: 'SW1Y 4JH', country: 'GB' } };

describe('sealing personal fields (AES-256-GCM)', () => {
  it('opens what it sealed, for any text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1, maxLength: 64 }), (name, email, customerId) => {
        const key = newDataKey();
        const sealed = sealPersonalFields(key, customerId, { name, email, address: null });
        expect(openPersonalFields(key, customerId, sealed)).toEqual({ name, email, address: null });
      }),
      { numRuns: 200 },
    );
  });

  it('shows nothing of the plaintext, and seals the same fields differently each time (random IV)', () => {
    const key = newDataKey();
    const first = sealPersonalFields(key, 'cus_1', fields);
    const second = sealPersonalFields(key, 'cus_1', fields);
    expect(first).not.toEqual(second);
    expect(first).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const text of ['Ada', 'Lovelace', 'ada@example.com', 'London', 'SW1Y']) expect(first).not.toContain(text);
  });

  it('does not open under another key, for another customer, or once altered', () => {
    const key = newDataKey();
    const sealed = sealPersonalFields(key, 'cus_1', fields);
    expect(() => openPersonalFields(newDataKey(), 'cus_1', sealed)).toThrow();
    expect(() => openPersonalFields(key, 'cus_2', sealed)).toThrow();
    const [prefix, iv, tag, ciphertext] = sealed.split('.');
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] ^= 1;
    expect(() => openPersonalFields(key, 'cus_1', [prefix, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => openPersonalFields(key, 'cus_1', [prefix, iv, tag.slice(0, 8), ciphertext].join('.'))).toThrow();
    expect(() => openPersonalFields(key, 'cus_1', 'not sealed')).toThrow(PersonalDataKeyError);
  });
});

describe('storing data keys', () => {
  it('stores them raw without a master key, wrapped with one; both decode to the key', () => {
    const key = newDataKey();
    const master = newDataKey();
    const raw = encodeDataKey(key, 'cus_1', null);
    const wrapped = encodeDataKey(key, 'cus_1', master);
    expect(raw.startsWith('r1.')).toBe(true);
    expect(wrapped.startsWith('w1.')).toBe(true);
    expect(wrapped).not.toContain(key.toString('base64url'));
    expect(decodeDataKey(raw, 'cus_1', master)).toEqual(key);
    expect(decodeDataKey(wrapped, 'cus_1', master)).toEqual(key);
  });

  it('refuses a wrapped key without the master key, or under the wrong one', () => {
    const wrapped = encodeDataKey(newDataKey(), 'cus_1', newDataKey());
    expect(() => decodeDataKey(wrapped, 'cus_1', null)).toThrow(/ACCRUAL_MASTER_KEY/);
    expect(() => decodeDataKey(wrapped, 'cus_1', newDataKey())).toThrow();
  });

  it('reads ACCRUAL_MASTER_KEY as 32 bytes of base64 or hex, and nothing else', () => {
    const key = newDataKey();
    expect(parseMasterKey(undefined)).toBeNull();
    expect(parseMasterKey(key.toString('base64'))).toEqual(key);
    expect(parseMasterKey(key.toString('hex'))).toEqual(key);
    expect(() => parseMasterKey('too-short')).toThrow(PersonalDataKeyError);
  });
});
