import { parseQuantity } from '@accrual/money';
import { priceDefinition } from '../testing/fixtures';
import { amountFor, graduatedAmount, packagesFor, volumeAmount } from './pricing';
import { Tier } from './price';

const q = (text: string) => parseQuantity(text);
const amount = (price: Parameters<typeof amountFor>[0], quantity: string) => amountFor(price, q(quantity)).toFixed();

const flat = priceDefinition({ model: 'flat', unitAmount: null, flatAmount: '49' });
const perUnit = priceDefinition({ model: 'per_unit', unitAmount: '12.5' });
const pack = priceDefinition({ model: 'package', unitAmount: '5', packageSize: '100' });
const tiers: Tier[] = [
  { upTo: '10', unitAmount: '1', flatAmount: '5' },
  { upTo: '20', unitAmount: '0.5', flatAmount: '2' },
  { upTo: null, unitAmount: '0.1', flatAmount: null },
];
const graduated = priceDefinition({ model: 'tiered_graduated', unitAmount: null, tiers });
const volume = priceDefinition({ model: 'tiered_volume', unitAmount: null, tiers });

describe('amountFor', () => {
  it.each([flat, perUnit, pack, graduated, volume].map((price) => [price.model, price] as const))(
    '%s: q = 0 bills nothing',
    (_model, price) => {
      expect(amount(price, '0')).toBe('0');
    },
  );

  it('flat: the flat amount, whatever q', () => {
    expect(amount(flat, '1')).toBe('49');
    expect(amount(flat, '0.000000000001')).toBe('49');
    expect(amount(flat, '1000000')).toBe('49');
  });

  it('per_unit: q × unitAmount, at full precision', () => {
    expect(amount(perUnit, '3')).toBe('37.5');
    expect(amount(perUnit, '0.5')).toBe('6.25');
    const tiny = priceDefinition({ unitAmount: '0.000000000001' });
    expect(amount(tiny, '3')).toBe('0.000000000003');
    const third = priceDefinition({ unitAmount: '0.333333333333' });
    expect(amount(third, '3')).toBe('0.999999999999');
    expect(amount(third, '0.000000000001')).toBe('0.000000000000333333333333');
  });

  it('package: partial packages round up', () => {
    expect(amount(pack, '1')).toBe('5');
    expect(amount(pack, '100')).toBe('5');
    expect(amount(pack, '101')).toBe('10');
    expect(amount(pack, '200')).toBe('10');
    expect(amount(pack, '200.000000000001')).toBe('15');
    expect(packagesFor(q('101'), q('100')).toFixed()).toBe('2');
    expect(packagesFor(q('0.000000000001'), q('1000000')).toFixed()).toBe('1');
  });

  it('package: any positive quantity is at least one package, however large the packages', () => {
    // The quotient 1e-42 lies beyond the 40 places division keeps: it must not round to 0 packages.
    expect(packagesFor(q('0.000000000001'), q(`1${'0'.repeat(30)}`)).toFixed()).toBe('1');
    expect(packagesFor(q(`1${'0'.repeat(30)}.000000000001`), q(`1${'0'.repeat(30)}`)).toFixed()).toBe('2');
    expect(packagesFor(q('300'), q('100')).toFixed()).toBe('3');
  });

  describe('tiered_graduated: each tier prices its own units, plus its flat amount once reached', () => {
    it.each([
      ['1', '6'], // 1 × 1 + 5
      ['10', '15'], // 10 × 1 + 5; the second tier is not reached
      ['10.5', '17.25'], // 15 + 0.5 × 0.5 + 2
      ['15', '19.5'], // 15 + 5 × 0.5 + 2
      ['20', '22'], // 15 + 10 × 0.5 + 2
      ['25', '22.5'], // 22 + 5 × 0.1
      ['1000', '120'], // 22 + 980 × 0.1
    ])('q = %s bills %s', (quantity, expected) => {
      expect(amount(graduated, quantity)).toBe(expected);
    });

    it('keeps 12-decimal unit amounts at full precision', () => {
      const fine: Tier[] = [
        { upTo: '1000', unitAmount: '0.000000000001', flatAmount: null },
        { upTo: null, unitAmount: '0.000000000002', flatAmount: null },
      ];
      expect(graduatedAmount(fine, q('1500')).toFixed()).toBe('0.000000002');
    });
  });

  describe('tiered_volume: the tier that holds q prices every unit', () => {
    it.each([
      ['1', '6'], // 1 × 1 + 5
      ['10', '15'], // q == upTo belongs to that tier
      ['10.000000000001', '7.0000000000005'], // the second tier: 10.000000000001 × 0.5 + 2
      ['20', '12'], // 20 × 0.5 + 2
      ['21', '2.1'], // the open tier, no flat amount
    ])('q = %s bills %s', (quantity, expected) => {
      expect(amount(volume, quantity)).toBe(expected);
    });

    it('keeps 12-decimal unit amounts at full precision', () => {
      expect(volumeAmount([{ upTo: null, unitAmount: '1.000000000001', flatAmount: null }], q('1000')).toFixed()).toBe('1000.000000001');
    });
  });
});
