import { ConflictError, InvalidInputError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { NotFoundError } from '../shared/errors';
import {
  CreateCustomerInput,
  CustomerCreated,
  CustomerErased,
  createCustomer,
  customerDecider,
  eraseCustomer,
  MAX_PAYMENT_TERMS_DAYS,
  validateCreateCustomer,
} from './customer';
import { emptyCustomerCredit } from './customer-credit';

const input: CreateCustomerInput = {
  id: 'cus_1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  currency: 'EUR',
  country: 'GB',
};
// The decider sees the personal fields sealed: an opaque value it copies as is.
const personal = { encrypted: 'v1.opaque' };
const { name: _name, email: _email, ...profile } = input;
const command = { ...profile, personal };

const created: CustomerCreated = {
  type: 'CustomerCreated',
  data: {
    id: 'cus_1',
    personal,
    currency: 'EUR',
    country: 'GB',
    region: null,
    taxExempt: false,
    paymentTermsDays: 30,
    locale: 'en',
  },
};

describe('createCustomer', () => {
  it('creates a customer with the defaults: 30 days of terms, locale "en", not tax-exempt, no region', () => {
    const state = given(customerDecider).when((state) => createCustomer(command, state)).then([created]);
    expect(state).toEqual({ status: 'active', customer: created.data, credit: emptyCustomerCredit() });
  });

  it('keeps every optional field it is given', () => {
    given(customerDecider)
      .when((state) =>
        createCustomer({ ...command, region: 'CA', taxExempt: true, paymentTermsDays: 0, locale: 'de-CH', country: 'US' }, state),
      )
      .then([
        {
          type: 'CustomerCreated',
          data: { ...created.data, country: 'US', region: 'CA', taxExempt: true, paymentTermsDays: 0, locale: 'de-CH' },
        },
      ]);
  });

  it('treats null optional fields as absent', () => {
    given(customerDecider)
      .when((state) => createCustomer({ ...command, region: null, taxExempt: null, paymentTermsDays: null, locale: null }, state))
      .then([created]);
  });

  it(`accepts payment terms from 0 to ${MAX_PAYMENT_TERMS_DAYS} days`, () => {
    for (const paymentTermsDays of [0, 1, 45, MAX_PAYMENT_TERMS_DAYS]) {
      const [event] = given(customerDecider).when((state) => createCustomer({ ...command, paymentTermsDays }, state)).events();
      expect((event as CustomerCreated).data.paymentTermsDays).toBe(paymentTermsDays);
    }
  });

  it('refuses an id that exists: ConflictError customer-exists', () => {
    given(customerDecider, [created])
      .when((state) => createCustomer({ ...command, personal: { encrypted: 'v1.other' } }, state))
      .thenThrows(ConflictError, 'customer-exists');
  });

  it('reports every invalid field at once', () => {
    const error = given(customerDecider)
      .when(() =>
        validateCreateCustomer(
          {
            id: 'cus_1',
            name: '   ',
            email: 'not-an-email',
            currency: 'usd',
            country: 'USA',
            region: '',
            taxExempt: 'yes',
            paymentTermsDays: 30.5,
            locale: 'English',
          },
        ) && [],
      )
      .thenThrows(InvalidInputError, 'invalid-input');
    expect(fieldsOf(error)).toEqual(
      ['country', 'currency', 'email', 'locale', 'name', 'paymentTermsDays', 'region', 'taxExempt'].sort(),
    );
    expect(error.errors.every((fieldError) => fieldError.message.length > 0)).toBe(true);
  });

  // One invalid value per row: the field it must be blamed on.
  const invalid: Array<[string, Partial<CreateCustomerInput>]> = [
    ['name', { name: '' }],
    ['name', { name: 42 }],
    ['name', { name: 'x'.repeat(201) }],
    ['name', { name: undefined }],
    ['email', { email: 'ada.example.com' }],
    ['email', { email: 'ada @example.com' }],
    ['email', { email: `${'a'.repeat(250)}@x.io` }],
    ['email', { email: null }],
    ['currency', { currency: 'XXX' }],
    ['currency', { currency: 'EURO' }],
    ['currency', { currency: 'toString' }],
    ['currency', { currency: 978 }],
    ['country', { country: 'gb' }],
    ['country', { country: 'GBR' }],
    ['country', { country: '' }],
    ['region', { region: 'x'.repeat(65) }],
    ['region', { region: 7 }],
    ['taxExempt', { taxExempt: 'false' }],
    ['taxExempt', { taxExempt: 0 }],
    ['paymentTermsDays', { paymentTermsDays: -1 }],
    ['paymentTermsDays', { paymentTermsDays: MAX_PAYMENT_TERMS_DAYS + 1 }],
    ['paymentTermsDays', { paymentTermsDays: '30' }],
    ['paymentTermsDays', { paymentTermsDays: Number.NaN }],
    ['locale', { locale: 'EN' }],
    ['locale', { locale: 'en_US' }],
    ['locale', { locale: '' }],
    ['address', { address: 'Baker Street' }],
    ['address.line1', { address: { city: 'London' } }],
    ['address.country', { address: { line1: '221B Baker Street', country: 'GBR' } }],
  ];

  const shortly = (value: unknown) => {
    const text = JSON.stringify(value, (_key, item: unknown) => (Number.isNaN(item) ? 'NaN' : item));
    return text.length > 48 ? `${text.slice(0, 45)}…` : text;
  };

  it.each(invalid.map(([field, overrides]) => [field, shortly(overrides), overrides] as const))(
    'blames %s for %s',
    (field, _label, overrides) => {
    const error = given(customerDecider)
      .when(() => validateCreateCustomer({ ...input, ...overrides }) && [])
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual([field]);
    },
  );
});

describe('validateCreateCustomer', () => {
  it('answers the personal fields to seal, with a Stripe-like address when given', () => {
    const address = { line1: '221B Baker Street', city: 'London', postalCode: 'NW1 6XE', country: 'GB' };
    expect(validateCreateCustomer({ ...input, address })).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      address: { line2: null, state: null, ...address },
    });
    expect(validateCreateCustomer(input)).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com', address: null });
  });

  it('refuses what the decider would refuse, before anything is sealed', () => {
    expect(() => validateCreateCustomer({ ...input, paymentTermsDays: -1 })).toThrow(InvalidInputError);
    expect(() => createCustomer({ ...command, paymentTermsDays: -1 }, { status: 'none' })).toThrow(InvalidInputError);
  });
});

describe('eraseCustomer', () => {
  const erased: CustomerErased = { type: 'CustomerErased', data: { customerId: 'cus_1', erasedBy: 'admin-actor' } };

  it('records the erasure and who asked; the state keeps no personal data, only its figures', () => {
    const state = given(customerDecider, [created])
      .when((state) => eraseCustomer({ customerId: 'cus_1', erasedBy: 'admin-actor' }, state))
      .then([erased]);
    expect(state).toEqual({ status: 'active', customer: { ...created.data, personal: { erased: true } }, credit: emptyCustomerCredit() });
  });

  it('is idempotent: erasing an erased customer appends nothing', () => {
    given(customerDecider, [created, erased])
      .when((state) => eraseCustomer({ customerId: 'cus_1', erasedBy: 'someone-else' }, state))
      .then([]);
  });

  it('refuses an unknown customer: NotFoundError', () => {
    given(customerDecider)
      .when((state) => eraseCustomer({ customerId: 'cus_1', erasedBy: 'admin-actor' }, state))
      .thenThrows(NotFoundError, 'customer-not-found');
  });
});
