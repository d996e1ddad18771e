import { ConflictError, InvalidInputError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { at } from '../testing/fixtures';
import { InvoiceLineDraft } from '../invoices/invoice-lines';
import {
  CouponCreated,
  couponDecider,
  CouponDefinition,
  couponDiscountOf,
  couponDiscountsFor,
  CouponUse,
  CreateCoupon,
  createCoupon,
  linesCouponCovers,
  MAX_COUPON_DURATION_MONTHS,
} from './coupon';

const decide = (command: Partial<CreateCoupon>) =>
  given(couponDecider).when((state) => createCoupon({ id: 'SAVE', duration: 'forever', ...command }, state));

const invalidFields = (command: Partial<CreateCoupon>) => fieldsOf(decide(command).thenThrows(InvalidInputError));

describe('createCoupon', () => {
  it('creates a percent-off coupon', () => {
    const state = decide({ percentOff: '20' }).then([
      {
        type: 'CouponCreated',
        data: { id: 'SAVE', percentOff: '20', amountOff: null, currency: null, duration: 'forever', durationInMonths: null },
      },
    ]);
    expect(state).toMatchObject({ status: 'active', coupon: { id: 'SAVE', percentOff: '20' } });
  });

  it.each([
    [20, '20'],
    ['12.5', '12.5'],
    ['12.50', '12.5'],
    ['0.0001', '0.0001'],
    ['100', '100'],
    ['100.0000', '100'],
  ])('takes percentOff %j as %j (decimal string or whole number, canonical)', (percentOff, expected) => {
    const [event] = decide({ percentOff }).events();
    expect(event.data.percentOff).toBe(expected);
  });

  it.each(['0', 0, '0.0000', '100.0001', '101', '-5', '12.34567', 12.5, 'ten', '1e2', true])('refuses percentOff %j', (percentOff) => {
    expect(invalidFields({ percentOff })).toEqual(['percentOff']);
  });

  it.each([
    ['10', 'USD', '10.00'],
    ['9.5', 'USD', '9.50'],
    ['500', 'JPY', '500'],
    ['1.250', 'KWD', '1.250'],
  ])('creates an amount-off coupon of %j %s, written with the currency’s digits (%j)', (amountOff, currency, expected) => {
    const [event] = decide({ amountOff, currency, duration: 'once' }).events();
    expect(event.data).toEqual({ id: 'SAVE', percentOff: null, amountOff: expected, currency, duration: 'once', durationInMonths: null });
  });

  it.each([
    ['0', 'USD'],
    ['0.00', 'USD'],
    ['-1.00', 'USD'],
    ['1.005', 'USD'],
    ['1.5', 'JPY'],
    ['1.0001', 'KWD'],
    ['ten', 'USD'],
  ])('refuses amountOff %j in %s', (amountOff, currency) => {
    expect(invalidFields({ amountOff, currency })).toEqual(['amountOff']);
  });

  it('refuses amountOff as a JSON number: amounts are decimal strings', () => {
    expect(invalidFields({ amountOff: 10, currency: 'USD' })).toEqual(['amountOff']);
  });

  it.each([undefined, null, 'usd', 'XXX', 'DOLLAR'])('refuses amountOff without a valid currency (%j)', (currency) => {
    expect(invalidFields({ amountOff: '10.00', currency })).toEqual(['currency']);
  });

  it('takes exactly one of percentOff and amountOff', () => {
    expect(invalidFields({})).toEqual(['percentOff']);
    expect(invalidFields({ percentOff: '10', amountOff: '5.00', currency: 'USD' })).toEqual(['amountOff']);
  });

  it('refuses a currency on a percent-off coupon', () => {
    expect(invalidFields({ percentOff: '10', currency: 'USD' })).toEqual(['currency']);
  });

  it('needs durationInMonths (1 to 120) for a repeating coupon, and only for it', () => {
    const [event] = decide({ percentOff: '50', duration: 'repeating', durationInMonths: 3 }).events();
    expect(event.data).toMatchObject({ duration: 'repeating', durationInMonths: 3 });
    expect(decide({ percentOff: '50', duration: 'repeating', durationInMonths: MAX_COUPON_DURATION_MONTHS }).events()).toHaveLength(1);
    for (const durationInMonths of [undefined, null, 0, 121, 1.5, '3', -1]) {
      expect(invalidFields({ percentOff: '50', duration: 'repeating', durationInMonths })).toEqual(['durationInMonths']);
    }
    expect(invalidFields({ percentOff: '50', duration: 'once', durationInMonths: 3 })).toEqual(['durationInMonths']);
    expect(invalidFields({ percentOff: '50', duration: 'forever', durationInMonths: 3 })).toEqual(['durationInMonths']);
  });

  it.each(['always', 'ONCE', '', undefined, 3])('refuses the duration %j', (duration) => {
    expect(invalidFields({ percentOff: '10', duration })).toEqual(['duration']);
  });

  it('reports every bad field at once', () => {
    expect(invalidFields({ id: 'bad id', percentOff: '0', duration: 'sometimes' })).toEqual(['duration', 'id', 'percentOff']);
  });

  it('refuses an id that exists, whatever the new terms: ConflictError coupon-exists', () => {
    const created: CouponCreated = {
      type: 'CouponCreated',
      data: { id: 'SAVE', percentOff: '20', amountOff: null, currency: null, duration: 'forever', durationInMonths: null },
    };
    given(couponDecider, [created])
      .when((state) => createCoupon({ id: 'SAVE', percentOff: '20', duration: 'forever' }, state))
      .thenThrows(ConflictError, 'coupon-exists');
  });
});

const coupon = (overrides: Partial<CouponDefinition>): CouponDefinition => ({
  id: 'SAVE',
  percentOff: '20',
  amountOff: null,
  currency: null,
  duration: 'forever',
  durationInMonths: null,
  ...overrides,
});

const line = (periodStart: string | null, amount = '10.00'): InvoiceLineDraft => ({
  description: 'Seats',
  priceId: 'seats',
  quantity: '1',
  unitAmount: amount,
  amount,
  periodStart: periodStart === null ? null : `${periodStart}T00:00:00Z`,
  periodEnd: null,
  proration: false,
});

describe('couponDiscountOf', () => {
  it('is percent or amount, an amount in its currency', () => {
    expect(couponDiscountOf(coupon({}))).toEqual({ kind: 'percent', percentOff: '20' });
    expect(couponDiscountOf(coupon({ percentOff: null, amountOff: '5.00', currency: 'EUR' }))).toEqual({
      kind: 'amount',
      amountOff: '5.00',
      currency: 'EUR',
    });
  });
});

describe('linesCouponCovers', () => {
  const use: CouponUse = { subscriptionStart: at('2026-01-31'), firstInvoice: false, invoiceCurrency: 'USD' };
  const lines = [line('2026-01-31'), line('2026-02-28'), line('2026-03-31'), line('2026-04-30')];

  it('forever: every line of every invoice', () => {
    expect(linesCouponCovers(coupon({}), use, lines)).toEqual([0, 1, 2, 3]);
  });

  it('once: every line of the subscription’s first invoice, none after', () => {
    expect(linesCouponCovers(coupon({ duration: 'once' }), { ...use, firstInvoice: true }, lines)).toEqual([0, 1, 2, 3]);
    expect(linesCouponCovers(coupon({ duration: 'once' }), use, lines)).toEqual([]);
  });

  it('repeating: lines whose period starts in the first N calendar months from the subscription’s start', () => {
    // From Jan 31, two calendar months end on Mar 31 (Feb 28 is one month): Jan 31 and Feb 28 are in.
    expect(linesCouponCovers(coupon({ duration: 'repeating', durationInMonths: 2 }), use, lines)).toEqual([0, 1]);
    expect(linesCouponCovers(coupon({ duration: 'repeating', durationInMonths: 1 }), use, lines)).toEqual([0]);
    expect(linesCouponCovers(coupon({ duration: 'repeating', durationInMonths: 12 }), use, lines)).toEqual([0, 1, 2, 3]);
  });

  it('repeating: a period starting exactly at the end is out; one starting a second before is in', () => {
    const edge = [line('2026-03-30'), { ...line(null), periodStart: '2026-03-30T23:59:59Z' }, line('2026-03-31')];
    expect(linesCouponCovers(coupon({ duration: 'repeating', durationInMonths: 2 }), use, edge)).toEqual([0, 1]);
  });

  it('repeating: a line without a service period is not covered', () => {
    expect(linesCouponCovers(coupon({ duration: 'repeating', durationInMonths: 2 }), use, [line(null)])).toEqual([]);
  });

  it('an amount-off coupon covers nothing on an invoice in another currency', () => {
    const euros = coupon({ percentOff: null, amountOff: '5.00', currency: 'EUR' });
    expect(linesCouponCovers(euros, use, lines)).toEqual([]);
    expect(linesCouponCovers(euros, { ...use, invoiceCurrency: 'EUR' }, lines)).toEqual([0, 1, 2, 3]);
  });
});

describe('couponDiscountsFor (a consolidated invoice)', () => {
  const subscription = (id: string, couponId: string | null, invoiceIds: string[] = []) => ({
    id,
    couponId,
    startDate: '2026-01-01T00:00:00Z',
    invoiceIds,
  });

  it('keeps the subscriptions’ lines in order and discounts only the lines of the subscription with the coupon', () => {
    const result = couponDiscountsFor('inv_1', 'USD', [
      { subscription: subscription('sub_a', null), coupon: null, lines: [line('2026-01-01', '1.00'), line('2026-01-01', '2.00')] },
      { subscription: subscription('sub_b', 'SAVE'), coupon: coupon({}), lines: [line('2026-01-01', '3.00'), line('2026-01-01', '4.00')] },
    ]);
    expect(result.drafts.map((draft) => draft.amount)).toEqual(['1.00', '2.00', '3.00', '4.00']);
    expect(result.discounts).toEqual([{ couponDiscount: { kind: 'percent', percentOff: '20' }, lineIndexes: [2, 3] }]);
  });

  it('once: the first invoice counts whether the state was read before its claim (no invoices) or after (it is the first)', () => {
    const once = coupon({ duration: 'once' });
    const lines = [line('2026-01-01')];
    const covered = (invoiceIds: string[], invoiceId: string) =>
      couponDiscountsFor(invoiceId, 'USD', [{ subscription: subscription('sub_a', 'SAVE', invoiceIds), coupon: once, lines }]).discounts;
    expect(covered([], 'inv_1')).toHaveLength(1);
    expect(covered(['inv_1'], 'inv_1')).toHaveLength(1);
    expect(covered(['inv_1'], 'inv_2')).toEqual([]);
    expect(covered(['inv_1', 'inv_2'], 'inv_2')).toEqual([]);
  });

  it('ignores a coupon that is not the subscription’s own', () => {
    const result = couponDiscountsFor('inv_1', 'USD', [
      { subscription: subscription('sub_a', 'OTHER'), coupon: coupon({}), lines: [line('2026-01-01')] },
    ]);
    expect(result.discounts).toEqual([]);
  });
});
