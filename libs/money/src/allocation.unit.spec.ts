import { allocate, ALLOCATION_PARTS_MAX } from './allocation';
import { StrictBig } from './decimal';
import { InvalidAllocationError } from './errors';
import { Money } from './money';

const weightsOf = (...texts: string[]) => texts.map((text) => new StrictBig(text));
const partsOf = (total: Money, weights: string[]) => allocate(total, weightsOf(...weights)).map(String);

describe('allocate', () => {
  it('puts the rounding residue on the last part', () => {
    expect(partsOf(Money.of('100.00', 'USD'), ['1', '1', '1'])).toEqual(['33.33', '33.33', '33.34']);
    expect(partsOf(Money.of('0.01', 'USD'), ['1', '1', '1'])).toEqual(['0.00', '0.00', '0.01']);
    expect(partsOf(Money.of('10', 'JPY'), ['1', '1', '1'])).toEqual(['3', '3', '4']);
  });

  it('splits in proportion to the weights', () => {
    expect(partsOf(Money.of('10.00', 'USD'), ['50.00', '30.00', '20.00'])).toEqual(['5.00', '3.00', '2.00']);
    expect(partsOf(Money.of('1.000', 'KWD'), ['2', '1'])).toEqual(['0.666', '0.334']);
  });

  it('keeps every part within one minor unit of its share, the last one too', () => {
    // Rounding each part alone would give 0.00 six times and 0.03 last: 2.57 cents off.
    expect(partsOf(Money.of('0.03', 'USD'), ['1', '1', '1', '1', '1', '1', '1'])).toEqual([
      '0.00', '0.00', '0.01', '0.00', '0.01', '0.00', '0.01',
    ]);
  });

  it('gives zero weights zero parts, wherever they are', () => {
    expect(partsOf(Money.of('9.99', 'USD'), ['0', '1', '0'])).toEqual(['0.00', '9.99', '0.00']);
  });

  it('mirrors a negative total', () => {
    expect(partsOf(Money.of('-100.00', 'USD'), ['1', '1', '1'])).toEqual(['-33.33', '-33.33', '-33.34']);
  });

  it('gives a single weight the whole total', () => {
    expect(partsOf(Money.of('12.34', 'USD'), ['0.5'])).toEqual(['12.34']);
  });

  it('refuses weights that cannot split a total', () => {
    const total = Money.of('1.00', 'USD');
    expect(() => allocate(total, [])).toThrow(InvalidAllocationError);
    expect(() => allocate(total, weightsOf('0', '0'))).toThrow(InvalidAllocationError);
    expect(() => allocate(total, weightsOf('1', '-1'))).toThrow(InvalidAllocationError);
    const tooMany = Array.from({ length: ALLOCATION_PARTS_MAX + 1 }, () => new StrictBig('1'));
    expect(() => allocate(total, tooMany)).toThrow(InvalidAllocationError);
  });
});
