import { isCurrencyCode } from '@accrual/money';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, NotFoundError } from '../shared/errors';
import { CustomerCredit, CustomerCreditEvent, emptyCustomerCredit, evolveCustomerCredit } from './customer-credit';

/** A postal address, as Stripe's `address` (camelCase): personal data, stored sealed. */
export interface PostalAddress {
  line1: string;
  line2: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
}

/** The customer's personal data (GDPR): kept in the log only sealed with the customer's key. */
export interface PersonalFields {
  name: string;
  email: string;
  address: PostalAddress | null;
}

/**
 * Personal data as the domain holds it: opaque. The edges seal it before appending and open it
 * after reading (libs/platform/src/personal-data.ts); the domain never encrypts or decrypts.
 * - `encrypted`: AES-256-GCM under the customer's data key (schema version 2 on).
 * - `clear`: written at schema version 1, before encryption (upcast; never written now).
 * - `erased`: after erasure, in state and read models (never stored in an event).
 */
export type StoredPersonalData = { encrypted: string } | { clear: PersonalFields } | { erased: true };

export interface CustomerProfile {
  id: string;
  personal: StoredPersonalData;
  currency: string;
  /** ISO 3166-1 alpha-2: the tax jurisdiction, kept in the clear (it names no one). */
  country: string;
  region: string | null;
  taxExempt: boolean;
  paymentTermsDays: number;
  locale: string;
}

export type CustomerCreated = DomainEvent<'CustomerCreated', CustomerProfile>;
/** GDPR erasure: the key of the personal data was destroyed (crypto-shredding); amounts stay. */
export type CustomerErased = DomainEvent<'CustomerErased', { customerId: string; erasedBy: string }>;
export type CustomerEvent = CustomerCreated | CustomerErased | CustomerCreditEvent;
/** `credit`: the customer's credit balances and what made them (customer-credit.ts). */
export type CustomerState = { status: 'none' } | { status: 'active'; customer: CustomerProfile; credit: CustomerCredit };

const ERASED: StoredPersonalData = { erased: true };

function isErased(customer: CustomerProfile): boolean {
  return 'erased' in customer.personal;
}

export const customerDecider = {
  initialState: (): CustomerState => ({ status: 'none' }),
  evolve: (state: CustomerState, event: CustomerEvent): CustomerState => {
    switch (event.type) {
      case 'CustomerCreated':
        return { status: 'active', customer: event.data, credit: emptyCustomerCredit() };
      case 'CustomerErased':
        return state.status === 'none' ? state : { ...state, customer: { ...state.customer, personal: ERASED } };
      case 'CustomerCreditGranted':
      case 'CustomerCreditApplied':
      case 'CustomerCreditRevoked':
        return state.status === 'none' ? state : { ...state, credit: evolveCustomerCredit(state.credit, event) };
      default:
        return state;
    }
  },
};

/** What the API receives, personal fields in the clear: validated here, then sealed at the edge. */
export interface CreateCustomerInput {
  id: string;
  name: unknown;
  email: unknown;
  address?: unknown;
  currency: unknown;
  country: unknown;
  region?: unknown;
  taxExempt?: unknown;
  paymentTermsDays?: unknown;
  locale?: unknown;
}

/** The command the decider takes: the personal fields already sealed, opaque to it. */
export type CreateCustomer = Omit<CreateCustomerInput, 'name' | 'email' | 'address'> & { personal: StoredPersonalData };

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const COUNTRY = /^[A-Z]{2}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
export const MAX_PAYMENT_TERMS_DAYS = 365;

/**
 * Checks a whole create request, every field at once, before the personal fields are sealed
 * (once sealed nobody can check them). Answers the personal fields to seal.
 */
export function validateCreateCustomer(input: CreateCustomerInput): PersonalFields {
  const errors = [...personalFieldErrors(input), ...profileFieldErrors(input)].sort((a, b) => a.field.localeCompare(b.field));
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { name: input.name as string, email: input.email as string, address: addressOf(input.address) };
}

export function createCustomer(command: CreateCustomer, state: CustomerState): CustomerEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('customer-exists', `customer ${command.id} already exists`);
  }
  const errors = profileFieldErrors(command);
  if (errors.length > 0) throw new InvalidInputError(errors);
  return [
    {
      type: 'CustomerCreated',
      data: {
        id: command.id,
        personal: command.personal,
        currency: command.currency as string,
        country: command.country as string,
        region: (command.region as string | undefined) ?? null,
        taxExempt: (command.taxExempt as boolean | undefined) ?? false,
        paymentTermsDays: (command.paymentTermsDays as number | undefined) ?? 30,
        locale: (command.locale as string | undefined) ?? 'en',
      },
    },
  ];
}

/**
 * GDPR erasure. The edge destroys the customer's key first; this records that it happened and who
 * asked. Erasing an erased customer changes nothing (idempotent).
 */
export function eraseCustomer(command: { customerId: string; erasedBy: string }, state: CustomerState): CustomerEvent[] {
  if (state.status === 'none') throw new NotFoundError('customer', command.customerId);
  if (isErased(state.customer)) return [];
  return [{ type: 'CustomerErased', data: { customerId: command.customerId, erasedBy: command.erasedBy } }];
}

function textError(field: string, value: unknown, max: number): FieldError[] {
  return typeof value !== 'string' || value.trim().length === 0 || value.length > max
    ? [{ field, message: `must be a non-empty string of at most ${max} characters` }]
    : [];
}

function personalFieldErrors(input: Pick<CreateCustomerInput, 'name' | 'email' | 'address'>): FieldError[] {
  const errors = textError('name', input.name, 200);
  if (typeof input.email !== 'string' || input.email.length > 254 || !EMAIL.test(input.email)) {
    errors.push({ field: 'email', message: 'must be an email address' });
  }
  if (input.address != null) errors.push(...addressErrors(input.address));
  return errors;
}

const ADDRESS_FIELDS = ['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const;

function addressErrors(address: unknown): FieldError[] {
  if (typeof address !== 'object' || address === null || Array.isArray(address)) {
    return [{ field: 'address', message: 'must be an object' }];
  }
  const fields = address as Record<string, unknown>;
  const errors = textError('address.line1', fields.line1, 200);
  for (const name of ADDRESS_FIELDS.slice(1)) {
    if (fields[name] != null) errors.push(...textError(`address.${name}`, fields[name], 200));
  }
  if (typeof fields.country === 'string' && !COUNTRY.test(fields.country)) {
    errors.push({ field: 'address.country', message: 'must be an ISO 3166-1 alpha-2 code, e.g. "US"' });
  }
  return errors;
}

function addressOf(address: unknown): PostalAddress | null {
  if (address == null) return null;
  const fields = address as Record<string, string | null | undefined>;
  return {
    line1: fields.line1 as string,
    line2: fields.line2 ?? null,
    city: fields.city ?? null,
    state: fields.state ?? null,
    postalCode: fields.postalCode ?? null,
    country: fields.country ?? null,
  };
}

function profileFieldErrors(command: Omit<CreateCustomerInput, 'name' | 'email' | 'address'>): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof command.currency !== 'string' || !isCurrencyCode(command.currency)) {
    errors.push({ field: 'currency', message: 'must be an ISO 4217 currency code' });
  }
  if (typeof command.country !== 'string' || !COUNTRY.test(command.country)) {
    errors.push({ field: 'country', message: 'must be an ISO 3166-1 alpha-2 code, e.g. "US"' });
  }
  if (command.region != null) errors.push(...textError('region', command.region, 64));
  if (command.taxExempt != null && typeof command.taxExempt !== 'boolean') {
    errors.push({ field: 'taxExempt', message: 'must be a boolean' });
  }
  const terms = command.paymentTermsDays ?? 30;
  if (typeof terms !== 'number' || !Number.isInteger(terms) || terms < 0 || terms > MAX_PAYMENT_TERMS_DAYS) {
    errors.push({ field: 'paymentTermsDays', message: `must be a whole number of days from 0 to ${MAX_PAYMENT_TERMS_DAYS}` });
  }
  const locale = command.locale ?? 'en';
  if (typeof locale !== 'string' || !LOCALE.test(locale)) {
    errors.push({ field: 'locale', message: 'must be a BCP 47 language tag, e.g. "en" or "de-CH"' });
  }
  return errors;
}
