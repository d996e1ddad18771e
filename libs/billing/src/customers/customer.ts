import { isCurrencyCode } from '@accrual/money';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError } from '../shared/errors';
import { CustomerCredit, CustomerCreditEvent, emptyCustomerCredit, evolveCustomerCredit } from './customer-credit';

export interface CustomerProfile {
  id: string;
  name: string;
  email: string;
  currency: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  region: string | null;
  taxExempt: boolean;
  paymentTermsDays: number;
  locale: string;
}

export type CustomerCreated = DomainEvent<'CustomerCreated', CustomerProfile>;
export type CustomerEvent = CustomerCreated | CustomerCreditEvent;
/** `credit`: the customer's credit balances and what made them (customer-credit.ts). */
export type CustomerState = { status: 'none' } | { status: 'active'; customer: CustomerProfile; credit: CustomerCredit };

export const customerDecider = {
  initialState: (): CustomerState => ({ status: 'none' }),
  evolve: (state: CustomerState, event: CustomerEvent): CustomerState => {
    switch (event.type) {
      case 'CustomerCreated':
        return { status: 'active', customer: event.data, credit: emptyCustomerCredit() };
      case 'CustomerCreditGranted':
      case 'CustomerCreditApplied':
      case 'CustomerCreditRevoked':
        return state.status === 'none' ? state : { ...state, credit: evolveCustomerCredit(state.credit, event) };
      default:
        return state;
    }
  },
};

export interface CreateCustomer {
  id: string;
  name: unknown;
  email: unknown;
  currency: unknown;
  country: unknown;
  region?: unknown;
  taxExempt?: unknown;
  paymentTermsDays?: unknown;
  locale?: unknown;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const COUNTRY = /^[A-Z]{2}$/;
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
export const MAX_PAYMENT_TERMS_DAYS = 365;

export function createCustomer(command: CreateCustomer, state: CustomerState): CustomerEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('customer-exists', `customer ${command.id} already exists`);
  }
  const errors: FieldError[] = [];
  const text = (field: string, value: unknown, max: number) => {
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
      errors.push({ field, message: `must be a non-empty string of at most ${max} characters` });
    }
  };
  text('name', command.name, 200);
  if (typeof command.email !== 'string' || command.email.length > 254 || !EMAIL.test(command.email)) {
    errors.push({ field: 'email', message: 'must be an email address' });
  }
  if (typeof command.currency !== 'string' || !isCurrencyCode(command.currency)) {
    errors.push({ field: 'currency', message: 'must be an ISO 4217 currency code' });
  }
  if (typeof command.country !== 'string' || !COUNTRY.test(command.country)) {
    errors.push({ field: 'country', message: 'must be an ISO 3166-1 alpha-2 code, e.g. "US"' });
  }
  if (command.region != null) text('region', command.region, 64);
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
  if (errors.length > 0) throw new InvalidInputError(errors);
  return [
    {
      type: 'CustomerCreated',
      data: {
        id: command.id,
        name: command.name as string,
        email: command.email as string,
        currency: command.currency as string,
        country: command.country as string,
        region: (command.region as string | undefined) ?? null,
        taxExempt: (command.taxExempt as boolean | undefined) ?? false,
        paymentTermsDays: terms as number,
        locale: locale as string,
      },
    },
  ];
}
