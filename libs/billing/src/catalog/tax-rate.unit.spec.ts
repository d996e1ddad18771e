import { ConflictError, InvalidInputError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { CreateTaxRate, createTaxRate, matchTaxRate, TaxRateCreated, taxRateDecider, TaxRateDefinition } from './tax-rate';

const command: CreateTaxRate = { id: 'de_vat', displayName: 'USt.', country: 'DE', percentage: '19', inclusive: true };

const decide = (overrides: Partial<CreateTaxRate>) =>
  given(taxRateDecider).when((state) => createTaxRate({ ...command, ...overrides }, state));

const invalidFields = (overrides: Partial<CreateTaxRate>) => fieldsOf(decide(overrides).thenThrows(InvalidInputError));

describe('createTaxRate', () => {
  it('creates a tax rate of a country', () => {
    const state = decide({}).then([
      { type: 'TaxRateCreated', data: { id: 'de_vat', displayName: 'USt.', country: 'DE', region: null, percentage: '19', inclusive: true } },
    ]);
    expect(state).toMatchObject({ status: 'active', taxRate: { id: 'de_vat', percentage: '19' } });
  });

  it('creates a tax rate of a region, exclusive', () => {
    const [event] = decide({ id: 'us_ca', displayName: 'CA sales tax', country: 'US', region: 'CA', percentage: '7.25', inclusive: false }).events();
    expect(event.data).toEqual({ id: 'us_ca', displayName: 'CA sales tax', country: 'US', region: 'CA', percentage: '7.25', inclusive: false });
  });

  it.each([
    ['0', '0'],
    [0, '0'],
    [20, '20'],
    ['7.2500', '7.25'],
    ['0.0001', '0.0001'],
    ['100', '100'],
  ])('takes the percentage %j as %j (0 to 100, up to 4 decimals)', (percentage, expected) => {
    const [event] = decide({ percentage }).events();
    expect(event.data.percentage).toBe(expected);
  });

  it.each(['100.01', '-1', '7.12345', 7.25, 'seven', '', null, undefined])('refuses the percentage %j', (percentage) => {
    expect(invalidFields({ percentage })).toEqual(['percentage']);
  });

  it.each(['de', 'DEU', 'D', '', 49, undefined])('refuses the country %j', (country) => {
    expect(invalidFields({ country })).toEqual(['country']);
  });

  it.each(['', '  ', 'x'.repeat(65), 7])('refuses the region %j', (region) => {
    expect(invalidFields({ region })).toEqual(['region']);
  });

  it.each(['', '   ', 'x'.repeat(201), undefined, 1])('refuses the displayName %j', (displayName) => {
    expect(invalidFields({ displayName })).toEqual(['displayName']);
  });

  it.each(['true', 1, undefined, null])('needs inclusive to be a boolean (%j)', (inclusive) => {
    expect(invalidFields({ inclusive })).toEqual(['inclusive']);
  });

  it('refuses an id off the contract’s pattern', () => {
    expect(invalidFields({ id: 'de vat' })).toEqual(['id']);
  });

  it('refuses an id that exists: ConflictError tax-rate-exists (rates are immutable)', () => {
    const created: TaxRateCreated = { type: 'TaxRateCreated', data: { ...command, region: null, percentage: '19', inclusive: true } as TaxRateDefinition };
    given(taxRateDecider, [created])
      .when((state) => createTaxRate({ ...command, percentage: '7' }, state))
      .thenThrows(ConflictError, 'tax-rate-exists');
  });
});

describe('matchTaxRate', () => {
  const rate = (id: string, country: string, region: string | null): TaxRateDefinition => ({
    id,
    displayName: id,
    country,
    region,
    percentage: '10',
    inclusive: false,
  });
  const usState = rate('us_state', 'US', null);
  const california = rate('us_ca', 'US', 'CA');
  const germany = rate('de', 'DE', null);
  const all = [usState, california, germany];

  it('a rate of the customer’s region wins over the country’s', () => {
    expect(matchTaxRate(all, { country: 'US', region: 'CA' })).toBe(california);
  });

  it('else the rate of the whole country (no region)', () => {
    expect(matchTaxRate(all, { country: 'US', region: 'NY' })).toBe(usState);
    expect(matchTaxRate(all, { country: 'US', region: null })).toBe(usState);
    expect(matchTaxRate(all, { country: 'DE', region: 'BY' })).toBe(germany);
  });

  it('else none: a region’s rate never applies to the rest of the country, nor any rate to another country', () => {
    expect(matchTaxRate([california], { country: 'US', region: 'NY' })).toBeNull();
    expect(matchTaxRate([california], { country: 'US', region: null })).toBeNull();
    expect(matchTaxRate(all, { country: 'FR', region: null })).toBeNull();
    expect(matchTaxRate([], { country: 'US', region: 'CA' })).toBeNull();
  });

  it('compares regions case-insensitively', () => {
    expect(matchTaxRate(all, { country: 'US', region: 'ca' })).toBe(california);
  });

  it('several matches at one level: the earliest created wins, whatever else is in the list', () => {
    const second = rate('us_ca_2', 'US', 'CA');
    expect(matchTaxRate([usState, california, second], { country: 'US', region: 'CA' })).toBe(california);
    expect(matchTaxRate([second, california], { country: 'US', region: 'CA' })).toBe(second);
    expect(matchTaxRate([california, rate('us_2', 'US', null), usState], { country: 'US', region: 'TX' })?.id).toBe('us_2');
  });
});
