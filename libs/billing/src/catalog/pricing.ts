import Big from 'big.js';
import { parseDecimal } from '@accrual/money';
import { PriceDefinition, Tier, UNIT_AMOUNT_DECIMALS } from './price';

/**
 * What a price charges for a quantity, at full precision (no rounding here: the invoice line
 * rounds half-up to the currency's minor unit, once, after every factor is applied).
 */
export function amountFor(price: PriceDefinition, quantity: Big): Big {
  if (quantity.lte('0')) return zero();
  switch (price.model) {
    case 'flat':
      return decimal(price.flatAmount);
    case 'per_unit':
      return quantity.times(decimal(price.unitAmount));
    case 'package':
      return packagesFor(quantity, decimal(price.packageSize)).times(decimal(price.unitAmount));
    case 'tiered_graduated':
      return graduatedAmount(price.tiers ?? [], quantity);
    case 'tiered_volume':
      return volumeAmount(price.tiers ?? [], quantity);
  }
}

/** Partial packages round up: 101 units in packages of 100 are 2 packages. */
export function packagesFor(quantity: Big, packageSize: Big): Big {
  // Division keeps 40 places, so rounding its quotient up could miss a remainder beyond them
  // (1e-12 units in packages of 1e30 made 0 packages). The floor is exact; the remainder is checked exactly.
  const wholePackages = quantity.div(packageSize).round(0, Big.roundDown);
  return wholePackages.times(packageSize).lt(quantity) ? wholePackages.plus('1') : wholePackages;
}

/** Each tier prices the units inside it, plus its flat amount once the tier is reached. */
export function graduatedAmount(tiers: readonly Tier[], quantity: Big): Big {
  let total = zero();
  let lowerBound = zero();
  for (const tier of tiers) {
    if (quantity.lte(lowerBound)) break;
    const upperBound = tier.upTo === null ? quantity : minBig(quantity, decimal(tier.upTo));
    total = total.plus(upperBound.minus(lowerBound).times(decimal(tier.unitAmount)));
    total = total.plus(decimal(tier.flatAmount));
    if (tier.upTo === null) break;
    lowerBound = decimal(tier.upTo);
  }
  return total;
}

/** The tier that holds the quantity prices every unit, plus that tier's flat amount. */
export function volumeAmount(tiers: readonly Tier[], quantity: Big): Big {
  const tier = tiers.find((candidate) => candidate.upTo === null || quantity.lte(decimal(candidate.upTo)));
  if (!tier) return zero();
  return quantity.times(decimal(tier.unitAmount)).plus(decimal(tier.flatAmount));
}

function decimal(text: string | null): Big {
  return text === null ? zero() : parseDecimal(text, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: false });
}

function zero(): Big {
  return parseDecimal('0', { maxDecimalPlaces: 0, allowNegative: false });
}

function minBig(a: Big, b: Big): Big {
  return a.lt(b) ? a : b;
}
