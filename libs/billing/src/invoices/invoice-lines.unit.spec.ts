import fc from 'fast-check';
import { InvalidDecimalError, Money, StrictBig, UnknownCurrencyError } from '@accrual/money';
import { InvoiceLine, InvoiceLineDraft, numberLines, roundLineAmount, totalsOf } from './invoice-lines';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 300 };

const draft = (amount: string): InvoiceLineDraft => ({
  description: 'x',
  priceId: null,
  quantity: '1',
  unitAmount: amount,
  amount,
  periodStart: null,
  periodEnd: null,
  proration: false,
});

describe('roundLineAmount', () => {
  it('rounds half-up (ties away from zero) to the currency’s minor unit', () => {
    const round = (text: string, currency: string) => roundLineAmount(new StrictBig(text), currency);
    expect(round('0.999999999999', 'USD')).toBe('1.00');
    expect(round('0.125', 'USD')).toBe('0.13');
    expect(round('0.124999999999', 'USD')).toBe('0.12');
    expect(round('-0.125', 'USD')).toBe('-0.13');
    expect(round('-0.001', 'USD')).toBe('0.00');
    expect(round('2.5', 'JPY')).toBe('3');
    expect(round('0.0005', 'KWD')).toBe('0.001');
    expect(round('17', 'USD')).toBe('17.00');
  });
});

describe('numberLines', () => {
  it('gives lines ids <invoiceId>-1, -2, … and zero discount and tax', () => {
    const lines = numberLines('inv_9', [draft('1.00'), draft('2.00')], 'KWD');
    expect(lines.map((line) => [line.id, line.discountAmount, line.taxAmount])).toEqual([
      ['inv_9-1', '0.000', '0.000'],
      ['inv_9-2', '0.000', '0.000'],
    ]);
  });
});

describe('totalsOf', () => {
  it('is zero for no lines', () => {
    expect(totalsOf([], 'JPY')).toEqual({ subtotal: '0', discountTotal: '0', taxTotal: '0', total: '0' });
  });

  it('subtracts discounts and adds exclusive tax', () => {
    const lines: InvoiceLine[] = [
      { ...draft('100.00'), id: 'i-1', discountAmount: '10.00', taxAmount: '18.00' },
      { ...draft('50.00'), id: 'i-2', discountAmount: '0.00', taxAmount: '10.00' },
    ];
    expect(totalsOf(lines, 'USD')).toEqual({ subtotal: '150.00', discountTotal: '10.00', taxTotal: '28.00', total: '168.00' });
  });

  it('refuses line amounts with more digits than the currency has (lines are rounded first)', () => {
    expect(() => totalsOf([{ ...draft('0.005'), id: 'i-1', discountAmount: '0.00', taxAmount: '0.00' }], 'USD')).toThrow();
  });

  it('refuses discounts and taxes with more digits than the currency has, and what is not a decimal', () => {
    const line = { ...draft('1.00'), id: 'i-1', discountAmount: '0.00', taxAmount: '0.00' };
    expect(() => totalsOf([{ ...line, discountAmount: '0.001' }], 'USD')).toThrow(InvalidDecimalError);
    const yen = { ...draft('100'), id: 'i-1', discountAmount: '0', taxAmount: '1' };
    expect(totalsOf([yen], 'JPY')).toEqual({ subtotal: '100', discountTotal: '0', taxTotal: '1', total: '101' });
    expect(() => totalsOf([{ ...yen, taxAmount: '0.5' }], 'JPY')).toThrow(InvalidDecimalError);
    expect(() => totalsOf([{ ...line, amount: '1e2' }], 'USD')).toThrow(InvalidDecimalError);
    expect(() => totalsOf([line], 'XXX')).toThrow(UnknownCurrencyError);
  });

  it('writes zero totals without a sign, with the currency’s places', () => {
    const lines: InvoiceLine[] = [
      { ...draft('5.000'), id: 'i-1', discountAmount: '5.000', taxAmount: '0.000' },
      { ...draft('-0.000'), id: 'i-2', discountAmount: '0.000', taxAmount: '-0.000' },
    ];
    expect(totalsOf(lines, 'KWD')).toEqual({ subtotal: '5.000', discountTotal: '5.000', taxTotal: '0.000', total: '0.000' });
    expect(totalsOf([{ ...draft('-2.50'), id: 'i-1', discountAmount: '0.00', taxAmount: '0.00' }, { ...draft('2.50'), id: 'i-2', discountAmount: '0.00', taxAmount: '0.00' }], 'USD'))
      .toEqual({ subtotal: '0.00', discountTotal: '0.00', taxTotal: '0.00', total: '0.00' });
  });

  it('an invoice’s lines always sum to its totals (random lines)', () => {
    const currencyArbitrary = fc.constantFrom('USD', 'JPY', 'KWD', 'CLF');
    const minorUnits = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n });
    // A line as minor units: its amount (negative for a discount line), its discount and its tax.
    const lineArbitrary = fc.tuple(minorUnits, fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 10n ** 9n }));
    fc.assert(
      fc.property(
        currencyArbitrary, fc.array(lineArbitrary, { maxLength: 40 }), fc.boolean(),
        (currency, raw, inclusiveTax) => {
          const money = (units: bigint) => Money.fromMinorUnits(units, currency).toString();
          const drafts = raw.map(([amount]) => draft(money(amount)));
          const lines = numberLines('inv', drafts, currency).map((line, index) => ({
            ...line,
            discountAmount: money(raw[index][1]),
            taxAmount: money(raw[index][2]),
          }));
          const totals = totalsOf(lines, currency, inclusiveTax);
          const sum = (pick: (line: [bigint, bigint, bigint]) => bigint) => raw.reduce((total, line) => total + pick(line), 0n);
          const [subtotal, discountTotal, taxTotal] = [sum((line) => line[0]), sum((line) => line[1]), sum((line) => line[2])];
          expect(totals).toEqual({
            subtotal: money(subtotal),
            discountTotal: money(discountTotal),
            taxTotal: money(taxTotal),
            // Inclusive tax is contained in the amounts: reported, not added again.
            total: money(subtotal - discountTotal + (inclusiveTax ? 0n : taxTotal)),
          });
          // And back from the strings: the totals are the lines' figures added up.
          expect(Money.of(totals.subtotal, currency).toMinorUnits()).toBe(subtotal);
        },
      ),
      RUNS,
    );
  });
});
