import { isCurrencyCode, parseDecimal } from '@accrual/money';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError } from '../shared/errors';
import { Interval, INTERVALS } from '../time/calendar';

export const PRICE_MODELS = ['flat', 'per_unit', 'package', 'tiered_graduated', 'tiered_volume'] as const;
export type PriceModel = (typeof PRICE_MODELS)[number];
export type UsageType = 'licensed' | 'metered';

/** Unit prices may carry up to 12 decimal places (contract §2). */
export const UNIT_AMOUNT_DECIMALS = 12;

export interface Tier {
  /** Inclusive upper bound of the tier, as a decimal string; null for the last, open tier. */
  upTo: string | null;
  unitAmount: string;
  flatAmount: string | null;
}

export interface Recurring {
  interval: Interval;
  intervalCount: number;
  usage: UsageType;
  meterCode: string | null;
}

/** A catalog price, immutable once created: a new version is a new price. */
export interface PriceDefinition {
  id: string;
  product: string;
  currency: string;
  recurring: Recurring | null;
  model: PriceModel;
  unitAmount: string | null;
  flatAmount: string | null;
  packageSize: string | null;
  tiers: Tier[] | null;
}

export type PriceCreated = DomainEvent<'PriceCreated', PriceDefinition>;
export type PriceEvent = PriceCreated;
export type PriceState = { status: 'none' } | { status: 'active'; price: PriceDefinition };

export const priceDecider = {
  initialState: (): PriceState => ({ status: 'none' }),
  evolve: (_state: PriceState, event: PriceEvent): PriceState => ({ status: 'active', price: event.data }),
};

export interface CreatePrice {
  id: string;
  product: unknown;
  currency: unknown;
  recurring?: { interval?: unknown; intervalCount?: unknown; usage?: unknown; meterCode?: unknown } | null;
  model: unknown;
  unitAmount?: unknown;
  flatAmount?: unknown;
  packageSize?: unknown;
  tiers?: unknown;
}

/**
 * Validates a new price. Whether a metered price's meter exists is checked by the caller
 * (it needs the meter's stream) and reported as the rule `unknown-meter`.
 */
export function createPrice(command: CreatePrice, state: PriceState): PriceEvent[] {
  if (state.status !== 'none') {
    throw new ConflictError('price-exists', `price ${command.id} already exists`);
  }
  const errors: FieldError[] = [];
  const price = validatePrice(command, errors);
  if (errors.length > 0 || !price) throw new InvalidInputError(errors);
  return [{ type: 'PriceCreated', data: price }];
}

function validatePrice(command: CreatePrice, errors: FieldError[]): PriceDefinition | null {
  if (typeof command.product !== 'string' || command.product.length === 0 || command.product.length > 200) {
    errors.push({ field: 'product', message: 'must be a non-empty string of at most 200 characters' });
  }
  if (typeof command.currency !== 'string' || !isCurrencyCode(command.currency)) {
    errors.push({ field: 'currency', message: 'must be an ISO 4217 currency code' });
  }
  if (!(PRICE_MODELS as readonly unknown[]).includes(command.model)) {
    errors.push({ field: 'model', message: `must be one of ${PRICE_MODELS.join(', ')}` });
    return null;
  }
  const model = command.model as PriceModel;
  const recurring = validateRecurring(command.recurring, errors);
  const amounts = validateAmounts(model, command, errors);
  if (errors.length > 0) return null;
  return {
    id: command.id,
    product: command.product as string,
    currency: command.currency as string,
    recurring,
    model,
    ...amounts,
  };
}

function validateRecurring(recurring: CreatePrice['recurring'], errors: FieldError[]): Recurring | null {
  if (recurring === undefined || recurring === null) return null;
  if (typeof recurring !== 'object') {
    errors.push({ field: 'recurring', message: 'must be an object' });
    return null;
  }
  const interval = recurring.interval;
  if (!(INTERVALS as readonly unknown[]).includes(interval)) {
    errors.push({ field: 'recurring.interval', message: `must be one of ${INTERVALS.join(', ')}` });
  }
  const intervalCount = recurring.intervalCount ?? 1;
  if (typeof intervalCount !== 'number' || !Number.isInteger(intervalCount) || intervalCount < 1 || intervalCount > 365) {
    errors.push({ field: 'recurring.intervalCount', message: 'must be a whole number from 1 to 365' });
  }
  const usage = recurring.usage ?? 'licensed';
  if (usage !== 'licensed' && usage !== 'metered') {
    errors.push({ field: 'recurring.usage', message: 'must be licensed or metered' });
  }
  const meterCode = recurring.meterCode ?? null;
  if (usage === 'metered' && (typeof meterCode !== 'string' || meterCode.length === 0)) {
    errors.push({ field: 'recurring.meterCode', message: 'is required for a metered price' });
  }
  if (usage === 'licensed' && meterCode !== null) {
    errors.push({ field: 'recurring.meterCode', message: 'applies to metered prices only' });
  }
  return {
    interval: interval as Interval,
    intervalCount: intervalCount as number,
    usage: usage as UsageType,
    meterCode: meterCode as string | null,
  };
}

type Amounts = Pick<PriceDefinition, 'unitAmount' | 'flatAmount' | 'packageSize' | 'tiers'>;

function validateAmounts(model: PriceModel, command: CreatePrice, errors: FieldError[]): Amounts {
  const amounts: Amounts = { unitAmount: null, flatAmount: null, packageSize: null, tiers: null };
  const needs: Record<PriceModel, Array<keyof Amounts>> = {
    flat: ['flatAmount'],
    per_unit: ['unitAmount'],
    package: ['unitAmount', 'packageSize'],
    tiered_graduated: ['tiers'],
    tiered_volume: ['tiers'],
  };
  for (const field of ['unitAmount', 'flatAmount', 'packageSize', 'tiers'] as const) {
    const given = command[field] !== undefined && command[field] !== null;
    if (needs[model].includes(field) && !given) {
      errors.push({ field, message: `is required for the ${model} model` });
    } else if (!needs[model].includes(field) && given) {
      errors.push({ field, message: `does not apply to the ${model} model` });
    }
  }
  if (command.unitAmount != null) amounts.unitAmount = decimalField('unitAmount', command.unitAmount, errors);
  if (command.flatAmount != null) amounts.flatAmount = decimalField('flatAmount', command.flatAmount, errors);
  if (command.packageSize != null) {
    amounts.packageSize = decimalField('packageSize', command.packageSize, errors, 0, true);
    if (amounts.packageSize !== null && /^0+$/.test(amounts.packageSize)) {
      errors.push({ field: 'packageSize', message: 'must be at least 1' });
    }
  }
  if (command.tiers != null) amounts.tiers = validateTiers(command.tiers, errors);
  return amounts;
}

/**
 * A decimal string. Whole JSON numbers pass only where `acceptsWholeNumber` (quantities such as
 * `packageSize` and a tier's `upTo`); amounts are decimal strings, never JSON numbers (contract §2).
 */
function decimalField(
  field: string,
  value: unknown,
  errors: FieldError[],
  maxDecimalPlaces = UNIT_AMOUNT_DECIMALS,
  acceptsWholeNumber = false,
): string | null {
  const text = acceptsWholeNumber && typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string') {
    errors.push({ field, message: 'must be a decimal string, e.g. "12.50"' });
    return null;
  }
  try {
    const value = parseDecimal(text, { maxDecimalPlaces, allowNegative: false });
    // Keep the decimals the client wrote ("49.00" stays "49.00"), unless the text has leading zeros.
    return /^(0|[1-9]\d*)(\.\d+)?$/.test(text) ? text : value.toFixed();
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}

function decimal(text: string) {
  return parseDecimal(text, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: false });
}

function validateTiers(value: unknown, errors: FieldError[]): Tier[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    errors.push({ field: 'tiers', message: 'must be a list of 1 to 100 tiers' });
    return null;
  }
  const tiers: Tier[] = [];
  let previousUpTo: string | null = null;
  value.forEach((raw: Record<string, unknown>, index) => {
    const field = `tiers[${index}]`;
    const last = index === value.length - 1;
    const upTo = raw?.upTo === null || raw?.upTo === undefined ? null : decimalField(`${field}.upTo`, raw.upTo, errors, UNIT_AMOUNT_DECIMALS, true);
    if (last && upTo !== null) errors.push({ field: `${field}.upTo`, message: 'the last tier must be open (upTo: null)' });
    if (!last && upTo === null) errors.push({ field: `${field}.upTo`, message: 'only the last tier may be open' });
    if (upTo !== null) {
      if (previousUpTo !== null && !decimal(upTo).gt(decimal(previousUpTo))) {
        errors.push({ field: `${field}.upTo`, message: 'tiers must ascend' });
      }
      previousUpTo = upTo;
    }
    const unitAmount = decimalField(`${field}.unitAmount`, raw?.unitAmount ?? null, errors);
    const flatAmount = raw?.flatAmount == null ? null : decimalField(`${field}.flatAmount`, raw.flatAmount, errors);
    tiers.push({ upTo, unitAmount: unitAmount ?? '0', flatAmount });
  });
  return tiers;
}
