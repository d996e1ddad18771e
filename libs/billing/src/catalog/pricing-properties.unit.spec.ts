import fc from 'fast-check';
import Big from 'big.js';
import { StrictBig } from '@accrual/money';
import { priceDefinition } from '../testing/fixtures';
import { Tier } from './price';
import { amountFor, graduatedAmount, volumeAmount } from './pricing';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 300 };

/** A non-negative decimal text with up to `places` decimals, canonical ("1.5", not "1.50"). */
const decimalArbitrary = (integerMax: number, places: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: integerMax }), fc.bigInt({ min: 0n, max: 10n ** BigInt(places) - 1n }), fc.integer({ min: 0, max: places }))
    .map(([integer, fraction, scale]) =>
      new StrictBig(`${integer}.${fraction.toString().padStart(places, '0')}`).round(scale, StrictBig.roundDown).toFixed(),
    );

const unitAmountArbitrary = fc.oneof(decimalArbitrary(100, 12), fc.constantFrom('0', '0.000000000001', '1'));
const quantityArbitrary = fc.oneof(decimalArbitrary(500, 12), fc.constantFrom('0', '1', '10', '100'));

/** 1 to 6 tiers with strictly ascending bounds, the last one open. */
const tiersArbitrary = fc
  .array(fc.tuple(decimalArbitrary(50, 3), unitAmountArbitrary, fc.option(decimalArbitrary(20, 2), { nil: null })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((raw) => {
    let bound = new StrictBig('0');
    return raw.map(([step, unitAmount, flatAmount], index): Tier => {
      // Each bound exceeds the last by at least 0.001, so bounds strictly ascend.
      bound = bound.plus(step).plus('0.001');
      return { upTo: index === raw.length - 1 ? null : bound.toFixed(), unitAmount, flatAmount };
    });
  });

const big = (text: string | null) => new StrictBig(text ?? '0');

/** The graduated amount, one tier at a time and independently of pricing.ts. */
function graduatedBySumOfPieces(tiers: readonly Tier[], quantity: Big): Big {
  return tiers.reduce((total, tier, index) => {
    const lower = index === 0 ? big('0') : big(tiers[index - 1].upTo);
    if (!quantity.gt(lower)) return total;
    const upper = tier.upTo === null || quantity.lt(big(tier.upTo)) ? quantity : big(tier.upTo);
    return total.plus(upper.minus(lower).times(big(tier.unitAmount))).plus(big(tier.flatAmount));
  }, big('0'));
}

describe('pricing properties', () => {
  it('tiered_graduated equals the sum of its tier pieces', () => {
    fc.assert(
      fc.property(tiersArbitrary, quantityArbitrary, (tiers, quantityText) => {
        const quantity = big(quantityText);
        const expected = graduatedBySumOfPieces(tiers, quantity);
        expect(graduatedAmount(tiers, quantity).eq(expected)).toBe(true);
        const price = priceDefinition({ model: 'tiered_graduated', unitAmount: null, tiers });
        expect(amountFor(price, quantity).eq(expected)).toBe(true);
      }),
      RUNS,
    );
  });

  it('tiered_graduated is monotone in q (no tier takes back what an earlier one billed)', () => {
    fc.assert(
      fc.property(tiersArbitrary, quantityArbitrary, quantityArbitrary, (tiers, a, b) => {
        const [low, high] = big(a).lte(big(b)) ? [big(a), big(b)] : [big(b), big(a)];
        expect(graduatedAmount(tiers, low).lte(graduatedAmount(tiers, high))).toBe(true);
      }),
      RUNS,
    );
  });

  it('tiered_volume is never negative, and monotone in q when the tiers share one unit amount', () => {
    const sameUnitAmountTiers = fc.tuple(tiersArbitrary, unitAmountArbitrary).map(([tiers, unitAmount]) => {
      // Flat amounts that never fall from one tier to the next, or a higher tier could bill less.
      let flat = big('0');
      return tiers.map((tier) => {
        flat = flat.plus(big(tier.flatAmount));
        return { ...tier, unitAmount, flatAmount: flat.toFixed() };
      });
    });
    fc.assert(
      fc.property(sameUnitAmountTiers, quantityArbitrary, quantityArbitrary, (tiers, a, b) => {
        const [low, high] = big(a).lte(big(b)) ? [big(a), big(b)] : [big(b), big(a)];
        const lowAmount = volumeAmount(tiers, low);
        expect(lowAmount.gte('0')).toBe(true);
        expect(lowAmount.lte(volumeAmount(tiers, high))).toBe(true);
      }),
      RUNS,
    );
  });

  it('tiered_volume prices every unit at the rate of the tier that holds q', () => {
    fc.assert(
      fc.property(tiersArbitrary, quantityArbitrary, (tiers, quantityText) => {
        const quantity = big(quantityText);
        const holding = tiers.find((tier) => tier.upTo === null || quantity.lte(big(tier.upTo))) as Tier;
        const expected = quantity.eq('0') ? big('0') : quantity.times(big(holding.unitAmount)).plus(big(holding.flatAmount));
        const price = priceDefinition({ model: 'tiered_volume', unitAmount: null, tiers });
        expect(amountFor(price, quantity).eq(expected)).toBe(true);
      }),
      RUNS,
    );
  });

  it('package bills whole packages: never fewer units than q, and less than one package more', () => {
    fc.assert(
      fc.property(quantityArbitrary, fc.integer({ min: 1, max: 1000 }), (quantityText, size) => {
        const quantity = big(quantityText);
        const price = priceDefinition({ model: 'package', unitAmount: '1', packageSize: String(size) });
        const packages = amountFor(price, quantity);
        const units = packages.times(size.toString());
        expect(packages.round(0, StrictBig.roundDown).eq(packages)).toBe(true);
        expect(units.gte(quantity)).toBe(true);
        expect(units.minus(quantity).lt(size.toString())).toBe(true);
      }),
      RUNS,
    );
  });
});
