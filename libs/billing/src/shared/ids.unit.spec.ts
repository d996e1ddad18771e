import { ConflictError, DomainError, InvalidInputError, NotFoundError, RuleViolationError } from './errors';
import { assertValidId, ID_PATTERN, streamKindOf, streams } from './ids';

describe('ids', () => {
  it('follow the contract’s pattern ^[A-Za-z0-9_-]{1,64}$', () => {
    for (const id of ['a', 'cus_1', 'A-z_09', 'x'.repeat(64)]) expect(ID_PATTERN.test(id)).toBe(true);
    for (const id of ['', 'x'.repeat(65), 'a b', 'a.b', 'é', 'a/b', 'a\n']) expect(ID_PATTERN.test(id)).toBe(false);
    expect(() => assertValidId('id', 'cus_1')).not.toThrow();
    expect(() => assertValidId('id', 'cus 1')).toThrow(InvalidInputError);
  });

  it('name streams <kind>-<id>, and the kind reads back from the name', () => {
    expect(streams.customer('c1')).toBe('customer-c1');
    expect(streams.creditNote('n1')).toBe('credit-note-n1');
    expect(streams.taxRate('vat')).toBe('tax-rate-vat');
    expect(streams.invoiceNumbers()).toBe('sequence-invoice-numbers');
    expect(streamKindOf(streams.creditNote('n-1'))).toBe('credit-note');
    expect(streamKindOf(streams.taxRate('t-1'))).toBe('tax-rate');
    expect(streamKindOf(streams.subscription('sub-1'))).toBe('subscription');
    expect(streamKindOf(streams.meter('api.calls'))).toBe('meter');
  });
});

describe('domain errors', () => {
  it('carry their kind (for the HTTP status) and a stable code', () => {
    const invalid = new InvalidInputError([
      { field: 'a', message: 'is bad' },
      { field: 'b', message: 'is worse' },
    ]);
    expect(invalid).toMatchObject({ kind: 'invalid', code: 'invalid-input', message: 'a: is bad; b: is worse', name: 'InvalidInputError' });
    expect(new NotFoundError('invoice', 'inv_1')).toMatchObject({ kind: 'not_found', code: 'invoice-not-found' });
    expect(new ConflictError('customer-exists', 'exists')).toMatchObject({ kind: 'conflict', code: 'customer-exists', name: 'ConflictError' });
    expect(new RuleViolationError('unknown-price', 'no')).toBeInstanceOf(DomainError);
  });
});
