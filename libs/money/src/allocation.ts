import Big from 'big.js';
import { assert } from './assert';
import { StrictBig, ZERO } from './decimal';
import { InvalidAllocationError } from './errors';
import { Money, sum } from './money';

/** One allocation splits one total over the lines of one invoice, at most. */
export const ALLOCATION_PARTS_MAX = 10_000;

/**
 * Split `total` into one part per weight, in proportion to the weights (e.g. an amount-off coupon
 * over an invoice's line amounts). The parts always sum exactly to the total.
 *
 * Each part is what its running share has reached in whole minor units (rounded toward zero),
 * minus what the parts before it took; the last part takes whatever is left. So 100.00 over
 * [1, 1, 1] is 33.33, 33.33, 33.34: the rounding residue lands on the last part. Rounding the
 * running share, rather than each part alone, keeps every part (the last one too) within one
 * minor unit of its exact share; rounding each part alone could leave the last part off by
 * up to one minor unit per part. Parts keep the total's sign, a zero weight gets a zero part,
 * and allocating -total gives exactly the negated parts.
 */
export function allocate(total: Money, weights: readonly Big[]): Money[] {
  const weightTotal = weightTotalOf(weights);
  const totalMinorUnits = new StrictBig(total.toMinorUnits());
  const parts: Money[] = [];
  let weightRunning: Big = ZERO;
  let allocatedMinorUnits: Big = ZERO;
  for (const weight of weights.slice(0, -1)) {
    weightRunning = weightRunning.plus(weight);
    const reachedMinorUnits = totalMinorUnits.times(weightRunning).div(weightTotal).round(0, StrictBig.roundDown);
    parts.push(partOf(reachedMinorUnits.minus(allocatedMinorUnits), total));
    allocatedMinorUnits = reachedMinorUnits;
  }
  parts.push(partOf(totalMinorUnits.minus(allocatedMinorUnits), total));
  assert(sum(total.currency, parts).equals(total), 'allocated parts must sum to the total');
  return parts;
}

function partOf(minorUnits: Big, total: Money): Money {
  return Money.fromMinorUnits(minorUnits.toFixed(0, StrictBig.roundDown), total.currency);
}

function weightTotalOf(weights: readonly Big[]): Big {
  if (weights.length === 0 || weights.length > ALLOCATION_PARTS_MAX) {
    throw new InvalidAllocationError(`must have 1 to ${ALLOCATION_PARTS_MAX} weights (got ${weights.length})`);
  }
  let weightTotal: Big = ZERO;
  for (const weight of weights) {
    if (weight.lt(ZERO)) throw new InvalidAllocationError(`weights must not be negative (got ${weight.toFixed()})`);
    weightTotal = weightTotal.plus(weight);
  }
  if (weightTotal.eq(ZERO)) throw new InvalidAllocationError('weights must not all be zero');
  return weightTotal;
}
