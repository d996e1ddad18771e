import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError } from '../shared/errors';
import { ID_PATTERN } from '../shared/ids';
import { percentageField } from './percentage';

/**
 * A tax rate applies to customers of its country, and, where it names a region, to customers of
 * that region only. Immutable once created: a new rate is a new tax rate with a new id.
 */
export interface TaxRateDefinition {
  id: string;
  displayName: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  region: string | null;
  /** Percent, 0 to 100, up to 4 decimals: "19", "7.25". */
  percentage: string;
  /** True: the tax is contained in the line amounts; false: it is added on top of them. */
  inclusive: boolean;
}

export type TaxRateCreated = DomainEvent<'TaxRateCreated', TaxRateDefinition>;
export type TaxRateEvent = TaxRateCreated;
export type TaxRateState = { status: 'none' } | { status: 'active'; taxRate: TaxRateDefinition };

export const taxRateDecider = {
  initialState: (): TaxRateState => ({ status: 'none' }),
  evolve: (state: TaxRateState, event: TaxRateEvent): TaxRateState => {
    switch (event.type) {
      case 'TaxRateCreated':
        return { status: 'active', taxRate: event.data };
      default:
        return state;
    }
  },
};

export interface CreateTaxRate {
  id: string;
  displayName: unknown;
  country: unknown;
  region?: unknown;
  percentage: unknown;
  inclusive: unknown;
}

const COUNTRY = /^[A-Z]{2}$/;

export function createTaxRate(command: CreateTaxRate, state: TaxRateState): TaxRateEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('tax-rate-exists', `tax rate ${command.id} already exists; tax rates are immutable`);
  }
  const errors: FieldError[] = [];
  if (!ID_PATTERN.test(command.id)) errors.push({ field: 'id', message: 'must match ^[A-Za-z0-9_-]{1,64}$' });
  if (!isText(command.displayName, 200)) {
    errors.push({ field: 'displayName', message: 'must be a non-empty string of at most 200 characters' });
  }
  if (typeof command.country !== 'string' || !COUNTRY.test(command.country)) {
    errors.push({ field: 'country', message: 'must be an ISO 3166-1 alpha-2 code, e.g. "DE"' });
  }
  if (command.region != null && !isText(command.region, 64)) {
    errors.push({ field: 'region', message: 'must be a non-empty string of at most 64 characters' });
  }
  const percentage = percentageField(errors, 'percentage', command.percentage, { zeroAllowed: true });
  if (typeof command.inclusive !== 'boolean') errors.push({ field: 'inclusive', message: 'must be a boolean' });
  if (errors.length > 0 || percentage === null) throw new InvalidInputError(errors);
  return [
    {
      type: 'TaxRateCreated',
      data: {
        id: command.id,
        displayName: command.displayName as string,
        country: command.country as string,
        region: (command.region as string | null | undefined) ?? null,
        percentage,
        inclusive: command.inclusive as boolean,
      },
    },
  ];
}

function isText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= max;
}

/** Where a customer is, for tax: its country and, where known, its region. */
export interface TaxLocation {
  country: string;
  region: string | null;
}

/**
 * The tax rate that applies to a customer, from the rates of the customer's country given in the
 * order they were created: a rate of the customer's region wins, else a rate of the whole country
 * (no region), else none. Regions compare case-insensitively ("ca" is "CA"). Where several rates
 * match at the same level, the earliest created wins, so the answer never depends on read order.
 */
export function matchTaxRate(ratesInCreationOrder: readonly TaxRateDefinition[], customer: TaxLocation): TaxRateDefinition | null {
  const ofCountry = ratesInCreationOrder.filter((rate) => rate.country === customer.country);
  const region = customer.region?.toUpperCase() ?? null;
  const ofRegion = region === null ? undefined : ofCountry.find((rate) => rate.region?.toUpperCase() === region);
  return ofRegion ?? ofCountry.find((rate) => rate.region === null) ?? null;
}
