import fc from 'fast-check';
import { Money } from '@accrual/money';
import { InvoiceLine } from '../invoices/invoice-lines';
import { addDays, formatDate, parseDate } from '../time/instant';
import {
  creditedRevenueAmount,
  dayCount,
  divideRoundingHalfUp,
  FULL_SHARE,
  previousDay,
  recognizedAmount,
  RecognitionSchedule,
  scheduleOf,
} from './recognition';

// On a failure fast-check prints the seed and path that replay the counterexample.

const line = (overrides: Partial<InvoiceLine>): InvoiceLine => ({
  id: 'inv-1-1',
  description: 'x',
  priceId: null,
  quantity: '1',
  unitAmount: null,
  amount: '100.00',
  periodStart: null,
  periodEnd: null,
  proration: false,
  discountAmount: '0.00',
  taxAmount: '0.00',
  ...overrides,
});

const schedule = (revenueAmount: string, first: string, last: string, issuedDay = first): RecognitionSchedule => ({
  revenueAmount,
  currency: 'USD',
  firstServiceDay: first,
  lastServiceDay: last,
  issuedDay,
});

const recognized = (s: RecognitionSchedule, day: string) => recognizedAmount(s, FULL_SHARE('1.00'), day).toString();

describe('revenue recognition schedule', () => {
  it('recognizes a month ratably by day, each day’s cumulative figure rounded', () => {
    const s = scheduleOf(
      line({ amount: '100.00', periodStart: '2026-01-15T00:00:00Z', periodEnd: '2026-02-15T00:00:00Z' }),
      false,
      'USD',
      '2026-01-15T00:00:00Z',
    );
    expect(s).toMatchObject({ firstServiceDay: '2026-01-15', lastServiceDay: '2026-02-14', revenueAmount: '100.00' });
    expect(recognized(s, '2026-01-14')).toBe('0.00');
    expect(recognized(s, '2026-01-15')).toBe('3.23'); // 100 × 1/31
    expect(recognized(s, '2026-01-31')).toBe('54.84'); // 100 × 17/31 = 54.838…
    expect(recognized(s, '2026-02-14')).toBe('100.00');
    expect(recognized(s, '2027-01-01')).toBe('100.00');
  });

  it('counts Feb 29 in a leap year', () => {
    const s = schedule('29.00', '2028-02-01', '2028-02-29');
    expect(dayCount('2028-02-01', '2028-02-29')).toBe(29);
    expect(recognized(s, '2028-02-28')).toBe('28.00');
    expect(recognized(s, '2028-02-29')).toBe('29.00');
  });

  it('recognizes a one-day period whole on that day', () => {
    const s = scheduleOf(line({ periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-03-02T00:00:00Z' }), false, 'USD', '2026-03-01T00:00:00Z');
    expect([s.firstServiceDay, s.lastServiceDay]).toEqual(['2026-03-01', '2026-03-01']);
    expect(recognized(s, '2026-02-28')).toBe('0.00');
    expect(recognized(s, '2026-03-01')).toBe('100.00');
  });

  it('recognizes a line without a period when the invoice is issued', () => {
    const s = scheduleOf(line({ amount: '40.00' }), false, 'USD', '2026-05-10T13:00:00Z');
    expect(recognized(s, '2026-05-09')).toBe('0.00');
    expect(recognized(s, '2026-05-10')).toBe('40.00');
  });

  it('recognizes nothing before issue and catches up past service on the issue day (arrears)', () => {
    const s = schedule('31.00', '2026-01-01', '2026-01-31', '2026-02-01');
    expect(recognized(s, '2026-01-31')).toBe('0.00');
    expect(recognized(s, '2026-02-01')).toBe('31.00');
  });

  it('takes revenue net of discount, and of tax when the rate is inclusive', () => {
    const taxed = line({ amount: '120.00', discountAmount: '20.00', taxAmount: '20.00' });
    expect(scheduleOf(taxed, false, 'USD', '2026-01-01T00:00:00Z').revenueAmount).toBe('100.00');
    expect(scheduleOf(taxed, true, 'USD', '2026-01-01T00:00:00Z').revenueAmount).toBe('80.00');
  });

  it('scales a line by what credit notes leave of the invoice', () => {
    const s = schedule('100.00', '2026-04-01', '2026-04-30');
    const share = { remaining: '75.00', total: '100.00' };
    expect(recognizedAmount(s, share, '2026-04-10').toString()).toBe('25.00'); // 100 × 0.75 × 10/30
    expect(creditedRevenueAmount(s, share).toString()).toBe('75.00');
  });

  it('recognizes the lines of a negative invoice whole (nothing credited), its total being negative', () => {
    const s = schedule('-30.00', '2026-04-01', '2026-04-30');
    const share = { remaining: '-8.39', total: '-8.39' };
    expect(recognizedAmount(s, share, '2026-04-10').toString()).toBe('-10.00');
    expect(creditedRevenueAmount(s, share).toString()).toBe('-30.00');
  });

  it('rounds exactly half-up, ties away from zero', () => {
    expect(divideRoundingHalfUp(5n, 2n)).toBe(3n);
    expect(divideRoundingHalfUp(-5n, 2n)).toBe(-3n);
    expect(divideRoundingHalfUp(4n, 3n)).toBe(1n);
    expect(divideRoundingHalfUp(-4n, 3n)).toBe(-1n);
  });

  it('adds the daily pieces of any line up to the line, never stepping backwards (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -10_000_000n, max: 100_000_000n }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 90 }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (minorUnits, startOffset, length, currency) => {
          const first = formatDate(addDays(parseDate('d', '2024-01-01'), startOffset));
          const last = formatDate(addDays(parseDate('d', first), length));
          const revenueAmount = Money.fromMinorUnits(minorUnits, currency).toString();
          const s: RecognitionSchedule = { revenueAmount, currency, firstServiceDay: first, lastServiceDay: last, issuedDay: first };
          const share = FULL_SHARE(Money.fromMinorUnits(1n, currency).toString());
          let previous = recognizedAmount(s, share, previousDay(first));
          let pieces = Money.zero(currency);
          for (let day = first; day <= last; day = formatDate(addDays(parseDate('d', day), 1))) {
            const cumulative = recognizedAmount(s, share, day);
            const piece = cumulative.minus(previous);
            expect(minorUnits >= 0n ? !piece.isNegative() : !piece.isPositive()).toBe(true);
            pieces = pieces.plus(piece);
            previous = cumulative;
          }
          expect(pieces.toString()).toBe(revenueAmount);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits any line over any window so that windows add up to the line (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000_000_000n }), fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 800 }), (minorUnits, length, cut) => {
        const first = '2027-12-15';
        const last = formatDate(addDays(parseDate('d', first), length));
        const cutDay = formatDate(addDays(parseDate('d', first), Math.min(cut, length)));
        const s = schedule(Money.fromMinorUnits(minorUnits, 'USD').toString(), first, last);
        const share = FULL_SHARE('1.00');
        const head = recognizedAmount(s, share, cutDay);
        const tail = recognizedAmount(s, share, last).minus(head);
        expect(head.plus(tail).toString()).toBe(s.revenueAmount);
      }),
      { numRuns: 5000 },
    );
  });
});
