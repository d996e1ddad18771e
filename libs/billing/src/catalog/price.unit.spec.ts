import { ConflictError, InvalidInputError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { CreatePrice, createPrice, PRICE_MODELS, PriceCreated, priceDecider, PriceDefinition } from './price';

const monthly = { interval: 'month', usage: 'licensed' };

const base = { id: 'price_1', product: 'Seats', currency: 'USD', recurring: monthly };

/** A valid command for each model, with nothing it does not need. */
const validByModel: Record<(typeof PRICE_MODELS)[number], CreatePrice> = {
  flat: { ...base, model: 'flat', flatAmount: '49.00' },
  per_unit: { ...base, model: 'per_unit', unitAmount: '12.50' },
  package: { ...base, model: 'package', unitAmount: '5', packageSize: '100' },
  tiered_graduated: {
    ...base,
    model: 'tiered_graduated',
    tiers: [
      { upTo: '10', unitAmount: '1.00', flatAmount: '5' },
      { upTo: 100, unitAmount: '0.5' },
      { upTo: null, unitAmount: '0.10' },
    ],
  },
  tiered_volume: {
    ...base,
    model: 'tiered_volume',
    tiers: [
      { upTo: '10', unitAmount: '1' },
      { upTo: null, unitAmount: '0.5', flatAmount: '2' },
    ],
  },
};

const definitionOf = (overrides: Partial<PriceDefinition>): PriceDefinition => ({
  id: 'price_1',
  product: 'Seats',
  currency: 'USD',
  recurring: { interval: 'month', intervalCount: 1, usage: 'licensed', meterCode: null },
  model: 'per_unit',
  unitAmount: null,
  flatAmount: null,
  packageSize: null,
  tiers: null,
  ...overrides,
});

const fieldsRefused = (command: CreatePrice) =>
  fieldsOf(given(priceDecider).when((state) => createPrice(command, state)).thenThrows(InvalidInputError));

describe('createPrice', () => {
  describe('valid prices of each model', () => {
    it('flat: flatAmount only (amounts keep the decimals they were written with)', () => {
      const state = given(priceDecider)
        .when((state) => createPrice(validByModel.flat, state))
        .then([{ type: 'PriceCreated', data: definitionOf({ model: 'flat', flatAmount: '49.00' }) }]);
      expect(state).toEqual({ status: 'active', price: definitionOf({ model: 'flat', flatAmount: '49.00' }) });
    });

    it('per_unit: unitAmount only', () => {
      given(priceDecider)
        .when((state) => createPrice(validByModel.per_unit, state))
        .then([{ type: 'PriceCreated', data: definitionOf({ model: 'per_unit', unitAmount: '12.50' }) }]);
    });

    it('package: unitAmount and a whole packageSize (a string or a whole number)', () => {
      given(priceDecider)
        .when((state) => createPrice(validByModel.package, state))
        .then([{ type: 'PriceCreated', data: definitionOf({ model: 'package', unitAmount: '5', packageSize: '100' }) }]);
      const [event] = given(priceDecider).when((state) => createPrice({ ...validByModel.package, packageSize: 25 }, state)).events();
      expect(event.data.packageSize).toBe('25');
    });

    it('tiered_graduated: ascending tiers, the last one open; upTo may be a whole number', () => {
      given(priceDecider)
        .when((state) => createPrice(validByModel.tiered_graduated, state))
        .then([
          {
            type: 'PriceCreated',
            data: definitionOf({
              model: 'tiered_graduated',
              tiers: [
                { upTo: '10', unitAmount: '1.00', flatAmount: '5' },
                { upTo: '100', unitAmount: '0.5', flatAmount: null },
                { upTo: null, unitAmount: '0.10', flatAmount: null },
              ],
            }),
          },
        ]);
    });

    it('tiered_volume: one open tier is enough', () => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.tiered_volume, tiers: [{ upTo: null, unitAmount: '3' }] }, state))
        .events();
      expect(event.data.tiers).toEqual([{ upTo: null, unitAmount: '3', flatAmount: null }]);
    });

    it('a price without recurring is one-time', () => {
      const [event] = given(priceDecider).when((state) => createPrice({ ...validByModel.flat, recurring: undefined }, state)).events();
      expect(event.data.recurring).toBeNull();
    });

    it('fractional tier bounds (metered quantities) are allowed', () => {
      const [event] = given(priceDecider)
        .when((state) =>
          createPrice(
            { ...validByModel.tiered_volume, tiers: [{ upTo: '0.5', unitAmount: '1' }, { upTo: '1.25', unitAmount: '1' }, { upTo: null, unitAmount: '1' }] },
            state,
          ),
        )
        .events();
      expect(event.data.tiers?.map((tier) => tier.upTo)).toEqual(['0.5', '1.25', null]);
    });
  });

  describe('required and forbidden fields per model', () => {
    const amountFields = { unitAmount: '1', flatAmount: '1', packageSize: '10', tiers: [{ upTo: null, unitAmount: '1' }] };
    const needs: Record<string, string[]> = {
      flat: ['flatAmount'],
      per_unit: ['unitAmount'],
      package: ['packageSize', 'unitAmount'],
      tiered_graduated: ['tiers'],
      tiered_volume: ['tiers'],
    };

    it.each(PRICE_MODELS)('%s: each field it needs is required', (model) => {
      for (const field of needs[model]) {
        const command = { ...validByModel[model], [field]: undefined };
        expect(fieldsRefused(command)).toEqual([field]);
      }
    });

    it.each(PRICE_MODELS)('%s: each field it does not use is refused', (model) => {
      for (const [field, value] of Object.entries(amountFields)) {
        if (needs[model].includes(field)) continue;
        expect(fieldsRefused({ ...validByModel[model], [field]: value })).toEqual([field]);
      }
    });

    it('a null field counts as absent', () => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.flat, unitAmount: null, packageSize: null, tiers: null }, state))
        .events();
      expect(event.data.model).toBe('flat');
    });
  });

  describe('amounts', () => {
    it('accepts unit amounts with 12 decimal places, at full precision', () => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.per_unit, unitAmount: '0.000000000001' }, state))
        .events();
      expect(event.data.unitAmount).toBe('0.000000000001');
      const [tiered] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.tiered_volume, tiers: [{ upTo: null, unitAmount: '1.123456789012', flatAmount: '0.000000000001' }] }, state))
        .events();
      expect(tiered.data.tiers).toEqual([{ upTo: null, unitAmount: '1.123456789012', flatAmount: '0.000000000001' }]);
    });

    it('refuses 13 decimal places', () => {
      expect(fieldsRefused({ ...validByModel.per_unit, unitAmount: '0.0000000000001' })).toEqual(['unitAmount']);
      expect(fieldsRefused({ ...validByModel.flat, flatAmount: '1.0000000000001' })).toEqual(['flatAmount']);
      expect(fieldsRefused({ ...validByModel.tiered_volume, tiers: [{ upTo: null, unitAmount: '0.1234567890123' }] })).toEqual([
        'tiers[0].unitAmount',
      ]);
    });

    it('refuses JS numbers for amounts, whole or not (amounts are decimal strings, never JSON numbers)', () => {
      expect(fieldsRefused({ ...validByModel.per_unit, unitAmount: 5 })).toEqual(['unitAmount']);
      expect(fieldsRefused({ ...validByModel.per_unit, unitAmount: 0.1 })).toEqual(['unitAmount']);
      expect(fieldsRefused({ ...validByModel.flat, flatAmount: 49 })).toEqual(['flatAmount']);
      expect(fieldsRefused({ ...validByModel.package, unitAmount: 5 })).toEqual(['unitAmount']);
      expect(fieldsRefused({ ...validByModel.tiered_graduated, tiers: [{ upTo: null, unitAmount: 1, flatAmount: 2 }] })).toEqual([
        'tiers[0].flatAmount',
        'tiers[0].unitAmount',
      ]);
    });

    it.each(['-1', '1e3', ' 1', '1,50', 'NaN', '', '+1', '.5', '5.'])('refuses the amount %j', (unitAmount) => {
      expect(fieldsRefused({ ...validByModel.per_unit, unitAmount })).toEqual(['unitAmount']);
    });

    it('accepts a zero amount (a free price)', () => {
      const [event] = given(priceDecider).when((state) => createPrice({ ...validByModel.per_unit, unitAmount: '0.00' }, state)).events();
      expect(event.data.unitAmount).toBe('0.00');
    });

    it('writes leading zeros away', () => {
      const [event] = given(priceDecider).when((state) => createPrice({ ...validByModel.per_unit, unitAmount: '007.50' }, state)).events();
      expect(event.data.unitAmount).toBe('7.5');
    });

    it.each([['0'], ['000'], ['1.5'], ['-10'], [10.5], [0]])('refuses the package size %j', (packageSize) => {
      expect(fieldsRefused({ ...validByModel.package, packageSize })).toEqual(['packageSize']);
    });
  });

  describe('tiers', () => {
    const tiered = (tiers: unknown) => ({ ...validByModel.tiered_graduated, tiers });

    it('refuses tiers that do not ascend', () => {
      expect(fieldsRefused(tiered([{ upTo: '10', unitAmount: '1' }, { upTo: '5', unitAmount: '1' }, { upTo: null, unitAmount: '1' }]))).toEqual([
        'tiers[1].upTo',
      ]);
      expect(fieldsRefused(tiered([{ upTo: '10', unitAmount: '1' }, { upTo: '10.0', unitAmount: '1' }, { upTo: null, unitAmount: '1' }]))).toEqual([
        'tiers[1].upTo',
      ]);
    });

    it('refuses a closed last tier', () => {
      expect(fieldsRefused(tiered([{ upTo: '10', unitAmount: '1' }, { upTo: '20', unitAmount: '1' }]))).toEqual(['tiers[1].upTo']);
      expect(fieldsRefused(tiered([{ upTo: '10', unitAmount: '1' }]))).toEqual(['tiers[0].upTo']);
    });

    it('refuses an open tier that is not the last', () => {
      expect(fieldsRefused(tiered([{ upTo: null, unitAmount: '1' }, { upTo: null, unitAmount: '1' }]))).toEqual(['tiers[0].upTo']);
      expect(fieldsRefused(tiered([{ upTo: '1', unitAmount: '1' }, { unitAmount: '1' }, { upTo: null, unitAmount: '1' }]))).toEqual([
        'tiers[1].upTo',
      ]);
    });

    it('requires each tier to have a unitAmount', () => {
      expect(fieldsRefused(tiered([{ upTo: '10', flatAmount: '1' }, { upTo: null, unitAmount: '1' }]))).toEqual(['tiers[0].unitAmount']);
    });

    it('refuses an empty list, more than 100 tiers, or something that is not a list', () => {
      expect(fieldsRefused(tiered([]))).toEqual(['tiers']);
      expect(fieldsRefused(tiered({ upTo: null, unitAmount: '1' }))).toEqual(['tiers']);
      const many = Array.from({ length: 101 }, (_, index) => ({ upTo: index === 100 ? null : String(index + 1), unitAmount: '1' }));
      expect(fieldsRefused(tiered(many))).toEqual(['tiers']);
      const hundred = many.slice(1).map((tier, index) => ({ ...tier, upTo: index === 99 ? null : String(index + 1) }));
      expect(given(priceDecider).when((state) => createPrice(tiered(hundred), state)).events()[0].data.tiers).toHaveLength(100);
    });

    it.each([['-1'], ['ten'], [10.5], ['0.0000000000001']])('refuses the tier bound %j', (upTo) => {
      // A bad bound is also reported as "only the last tier may be open": one field, maybe twice.
      const fields = fieldsRefused(tiered([{ upTo, unitAmount: '1' }, { upTo: null, unitAmount: '1' }]));
      expect([...new Set(fields)]).toEqual(['tiers[0].upTo']);
    });
  });

  describe('recurring', () => {
    const recurringFieldsRefused = (recurring: unknown) =>
      fieldsRefused({ ...validByModel.per_unit, recurring: recurring as CreatePrice['recurring'] });

    it('defaults intervalCount to 1 and usage to licensed', () => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.per_unit, recurring: { interval: 'year' } }, state))
        .events();
      expect(event.data.recurring).toEqual({ interval: 'year', intervalCount: 1, usage: 'licensed', meterCode: null });
    });

    it.each(['day', 'week', 'month', 'year'])('accepts the interval %s', (interval) => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.per_unit, recurring: { interval, intervalCount: 3 } }, state))
        .events();
      expect(event.data.recurring).toMatchObject({ interval, intervalCount: 3 });
    });

    it('a metered price names its meter', () => {
      const [event] = given(priceDecider)
        .when((state) => createPrice({ ...validByModel.per_unit, recurring: { interval: 'month', usage: 'metered', meterCode: 'api_calls' } }, state))
        .events();
      expect(event.data.recurring).toEqual({ interval: 'month', intervalCount: 1, usage: 'metered', meterCode: 'api_calls' });
    });

    it('refuses a metered price without meterCode', () => {
      expect(recurringFieldsRefused({ interval: 'month', usage: 'metered' })).toEqual(['recurring.meterCode']);
      expect(recurringFieldsRefused({ interval: 'month', usage: 'metered', meterCode: '' })).toEqual(['recurring.meterCode']);
    });

    it('refuses meterCode on a licensed price', () => {
      expect(recurringFieldsRefused({ interval: 'month', meterCode: 'api_calls' })).toEqual(['recurring.meterCode']);
    });

    it.each([
      ['recurring.interval', { interval: 'monthly' }],
      ['recurring.interval', {}],
      ['recurring.intervalCount', { interval: 'month', intervalCount: 0 }],
      ['recurring.intervalCount', { interval: 'month', intervalCount: 1.5 }],
      ['recurring.intervalCount', { interval: 'month', intervalCount: 366 }],
      ['recurring.intervalCount', { interval: 'month', intervalCount: '3' }],
      ['recurring.usage', { interval: 'month', usage: 'seats' }],
      ['recurring', 'monthly'],
    ])('blames %s for %j', (field, recurring) => {
      expect(recurringFieldsRefused(recurring)).toEqual([field]);
    });
  });

  describe('the rest of the price', () => {
    it.each([
      ['product', { product: '' }],
      ['product', { product: 'x'.repeat(201) }],
      ['product', { product: 3 }],
      ['currency', { currency: 'usd' }],
      ['currency', { currency: 'XAU' }],
      ['model', { model: 'stairstep' }],
    ])('blames %s', (field, overrides) => {
      expect(fieldsRefused({ ...validByModel.per_unit, ...overrides })).toEqual([field]);
    });

    it('reports several bad fields at once', () => {
      expect(fieldsRefused({ ...validByModel.package, product: '', unitAmount: '-1', packageSize: '0', tiers: [] })).toEqual([
        'packageSize',
        'product',
        'tiers',
        'tiers',
        'unitAmount',
      ]);
    });

    it('refuses an id that exists: ConflictError price-exists (prices are immutable)', () => {
      const created: PriceCreated = { type: 'PriceCreated', data: definitionOf({ model: 'per_unit', unitAmount: '12.5' }) };
      given(priceDecider, [created])
        .when((state) => createPrice({ ...validByModel.per_unit, unitAmount: '13' }, state))
        .thenThrows(ConflictError, 'price-exists');
    });
  });
});
