import fc from 'fast-check';
import { Money } from '@accrual/money';
import { RuleViolationError } from '../shared/errors';
import { given } from '../testing/decider-spec';
import { TaxRateDefinition } from '../catalog/tax-rate';
import { createDraftInvoice, invoiceCreated, invoiceDecider, InvoiceSource } from './invoice';
import { InvoiceLineDraft, totalsOf } from './invoice-lines';
import { CouponDiscount, priceInvoice, PricingOptions, TaxTreatment } from './invoice-pricing';

// On a failure fast-check prints the seed and path that replay the counterexample.
const RUNS = { numRuns: 300 };

const draft = (amount: string, description = 'x'): InvoiceLineDraft => ({
  description,
  priceId: null,
  quantity: '1',
  unitAmount: amount,
  amount,
  periodStart: null,
  periodEnd: null,
  proration: false,
});

const drafts = (...amounts: string[]) => amounts.map((amount) => draft(amount));
const percent = (percentOff: string): CouponDiscount => ({ kind: 'percent', percentOff });
const amountOff = (amount: string, currency = 'USD'): CouponDiscount => ({ kind: 'amount', amountOff: amount, currency });
const exclusive = (percentage: string): TaxTreatment => ({ percentage, inclusive: false });
const inclusive = (percentage: string): TaxTreatment => ({ percentage, inclusive: true });

const figures = (options: PricingOptions, ...amounts: string[]) => {
  const priced = priceInvoice(drafts(...amounts), options);
  return {
    discounts: priced.lines.map((line) => line.discountAmount),
    taxes: priced.lines.map((line) => line.taxAmount),
    totals: { subtotal: priced.subtotal, discountTotal: priced.discountTotal, taxTotal: priced.taxTotal, total: priced.total },
  };
};

describe('priceInvoice: discounts', () => {
  it('nothing to apply: zero discount and tax, total = subtotal', () => {
    expect(figures({ currency: 'USD', taxExempt: false }, '10.00', '5.50')).toEqual({
      discounts: ['0.00', '0.00'],
      taxes: ['0.00', '0.00'],
      totals: { subtotal: '15.50', discountTotal: '0.00', taxTotal: '0.00', total: '15.50' },
    });
  });

  it('percent off: each line’s discount rounded half-up on its own', () => {
    // 20 % of 33.33 = 6.666 → 6.67; of 0.13 = 0.026 → 0.03; 50 % of 0.25 = 0.125 → 0.13 (a tie goes up).
    expect(figures({ currency: 'USD', couponDiscount: percent('20'), taxExempt: false }, '100.00', '33.33', '0.13')).toMatchObject({
      discounts: ['20.00', '6.67', '0.03'],
      totals: { subtotal: '133.46', discountTotal: '26.70', total: '106.76' },
    });
    expect(figures({ currency: 'USD', couponDiscount: percent('50'), taxExempt: false }, '0.25').discounts).toEqual(['0.13']);
  });

  it('percent off discounts a negative (credit) line too, so the credit is at the discounted price', () => {
    expect(figures({ currency: 'USD', couponDiscount: percent('25'), taxExempt: false }, '40.00', '-10.00')).toMatchObject({
      discounts: ['10.00', '-2.50'],
      totals: { subtotal: '30.00', discountTotal: '7.50', total: '22.50' },
    });
  });

  it('100 % off: everything', () => {
    expect(figures({ currency: 'USD', couponDiscount: percent('100'), taxExempt: false }, '10.00', '0.01').totals.total).toBe('0.00');
  });

  it('amount off: spread in proportion to the lines’ amounts, the residue on the last line', () => {
    expect(figures({ currency: 'USD', couponDiscount: amountOff('10.00'), taxExempt: false }, '10.00', '10.00', '10.00')).toMatchObject({
      discounts: ['3.33', '3.33', '3.34'],
      totals: { subtotal: '30.00', discountTotal: '10.00', total: '20.00' },
    });
    // 25.00 over 50 / 30 / 20: exactly 12.50, 7.50, 5.00.
    expect(figures({ currency: 'USD', couponDiscount: amountOff('25.00'), taxExempt: false }, '50.00', '30.00', '20.00').discounts).toEqual([
      '12.50',
      '7.50',
      '5.00',
    ]);
  });

  it('amount off larger than the subtotal: capped at it, so the total is zero, never negative', () => {
    expect(figures({ currency: 'USD', couponDiscount: amountOff('50.00'), taxExempt: false }, '10.00', '5.00')).toMatchObject({
      discounts: ['10.00', '5.00'],
      totals: { discountTotal: '15.00', total: '0.00' },
    });
  });

  it('amount off with a credit line: capped at the net subtotal, spread over the positive lines only', () => {
    expect(figures({ currency: 'USD', couponDiscount: amountOff('100.00'), taxExempt: false }, '30.00', '-10.00', '20.00')).toMatchObject({
      discounts: ['24.00', '0.00', '16.00'],
      totals: { subtotal: '40.00', discountTotal: '40.00', total: '0.00' },
    });
    expect(figures({ currency: 'USD', couponDiscount: amountOff('5.00'), taxExempt: false }, '-10.00', '0.00').discounts).toEqual(['0.00', '0.00']);
  });

  it('amount off in another currency discounts nothing', () => {
    expect(figures({ currency: 'USD', couponDiscount: amountOff('5.00', 'EUR'), taxExempt: false }, '10.00').totals.discountTotal).toBe('0.00');
  });

  it('coupons over some lines each (a consolidated invoice): other lines are not discounted', () => {
    const priced = priceInvoice(drafts('10.00', '20.00', '30.00', '40.00'), {
      currency: 'USD',
      discounts: [
        { couponDiscount: percent('10'), lineIndexes: [0, 1] },
        { couponDiscount: amountOff('7.00'), lineIndexes: [3] },
      ],
      taxExempt: false,
    });
    expect(priced.lines.map((line) => line.discountAmount)).toEqual(['1.00', '2.00', '0.00', '7.00']);
    expect(priced.discountTotal).toBe('10.00');
  });

  it('refuses a line covered twice or out of range, and both ways of naming coupons at once (programming errors)', () => {
    const twice = { currency: 'USD', taxExempt: false, discounts: [{ couponDiscount: percent('10'), lineIndexes: [0, 0] }] };
    expect(() => priceInvoice(drafts('1.00'), twice)).toThrow(/covered twice/);
    expect(() => priceInvoice(drafts('1.00'), { ...twice, discounts: [{ couponDiscount: percent('10'), lineIndexes: [1] }] })).toThrow();
    expect(() => priceInvoice(drafts('1.00'), { ...twice, couponDiscount: percent('10') })).toThrow(/not both/);
  });
});

describe('priceInvoice: tax', () => {
  it('exclusive: added per line on the discounted amount, rounded half-up', () => {
    // 20 % off 100.00 and 33.33, then 7.25 % on 80.00 (5.80) and 26.66 (1.93285 → 1.93).
    expect(figures({ currency: 'USD', couponDiscount: percent('20'), taxRate: exclusive('7.25'), taxExempt: false }, '100.00', '33.33')).toEqual({
      discounts: ['20.00', '6.67'],
      taxes: ['5.80', '1.93'],
      totals: { subtotal: '133.33', discountTotal: '26.67', taxTotal: '7.73', total: '114.39' },
    });
  });

  it('inclusive: contained in the amount, base × rate / (100 + rate), not added', () => {
    // 19 % in 119.00 is 19.00; in 10.00 it is 1.596638… → 1.60.
    expect(figures({ currency: 'EUR', taxRate: inclusive('19'), taxExempt: false }, '119.00', '10.00')).toEqual({
      discounts: ['0.00', '0.00'],
      taxes: ['19.00', '1.60'],
      totals: { subtotal: '129.00', discountTotal: '0.00', taxTotal: '20.60', total: '129.00' },
    });
  });

  it('inclusive after a discount: the tax is contained in what is left', () => {
    // 10.00 off 119.00 leaves 109.00, which contains 109 × 19/119 = 17.403… → 17.40.
    expect(figures({ currency: 'EUR', couponDiscount: amountOff('10.00', 'EUR'), taxRate: inclusive('19'), taxExempt: false }, '119.00')).toMatchObject({
      taxes: ['17.40'],
      totals: { subtotal: '119.00', discountTotal: '10.00', taxTotal: '17.40', total: '109.00' },
    });
  });

  it('tax exempt: no tax, exclusive or inclusive', () => {
    for (const taxRate of [exclusive('20'), inclusive('20')]) {
      expect(figures({ currency: 'USD', taxRate, taxExempt: true }, '100.00').totals).toEqual({
        subtotal: '100.00',
        discountTotal: '0.00',
        taxTotal: '0.00',
        total: '100.00',
      });
    }
  });

  it('a credit line carries negative tax', () => {
    expect(figures({ currency: 'USD', taxRate: exclusive('10'), taxExempt: false }, '50.00', '-20.05').taxes).toEqual(['5.00', '-2.01']);
  });

  it('a zero rate taxes nothing', () => {
    expect(figures({ currency: 'USD', taxRate: exclusive('0'), taxExempt: false }, '50.00').totals.taxTotal).toBe('0.00');
    expect(figures({ currency: 'USD', taxRate: inclusive('0'), taxExempt: false }, '50.00').totals.taxTotal).toBe('0.00');
  });

  it('JPY has no minor unit: 20 % off 999 is 199.8 → 200; 10 % tax on 799 is 79.9 → 80', () => {
    expect(figures({ currency: 'JPY', couponDiscount: percent('20'), taxRate: exclusive('10'), taxExempt: false }, '999')).toEqual({
      discounts: ['200'],
      taxes: ['80'],
      totals: { subtotal: '999', discountTotal: '200', taxTotal: '80', total: '879' },
    });
    expect(figures({ currency: 'JPY', couponDiscount: amountOff('100', 'JPY'), taxExempt: false }, '100', '100', '100').discounts).toEqual(['33', '33', '34']);
  });

  it('KWD has three digits: 10 % off 1.235 is 0.1235 → 0.124; 5 % tax on 1.111 is 0.05555 → 0.056', () => {
    expect(figures({ currency: 'KWD', couponDiscount: percent('10'), taxRate: exclusive('5'), taxExempt: false }, '1.235')).toMatchObject({
      discounts: ['0.124'],
      taxes: ['0.056'],
      totals: { subtotal: '1.235', discountTotal: '0.124', taxTotal: '0.056', total: '1.167' },
    });
  });
});

// ---- Properties ------------------------------------------------------------------------------

const currencies = fc.constantFrom('USD', 'JPY', 'KWD');
/** A percentage from `min` to 100 with up to 4 decimals, as decimal text. */
const percentageText = (min: number) =>
  fc.integer({ min, max: 1_000_000 }).map((n) => `${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`);
const lineMinorUnits = fc.bigInt({ min: -(10n ** 9n), max: 10n ** 10n });
const discountArbitrary = fc.oneof(
  percentageText(1).map((percentOff) => ({ kind: 'percent' as const, percentOff })),
  fc.bigInt({ min: 1n, max: 10n ** 11n }).map((minorUnits) => ({ kind: 'amount' as const, minorUnits })),
);
const taxArbitrary = fc.option(fc.record({ percentage: percentageText(0), inclusive: fc.boolean() }));

describe('priceInvoice: properties', () => {
  it('lines sum to the totals, total = subtotal − discounts (+ tax when exclusive), no discount exceeds its line', () => {
    fc.assert(
      fc.property(currencies, fc.array(lineMinorUnits, { minLength: 1, maxLength: 30 }), fc.option(discountArbitrary), taxArbitrary, fc.boolean(),
        (currency, units, rawDiscount, taxRate, taxExempt) => {
          const money = (minorUnits: bigint) => Money.fromMinorUnits(minorUnits, currency);
          const couponDiscount: CouponDiscount | null =
            rawDiscount === null ? null
            : rawDiscount.kind === 'percent' ? rawDiscount
            : { kind: 'amount', amountOff: money(rawDiscount.minorUnits).toString(), currency };
          const priced = priceInvoice(units.map((u) => draft(money(u).toString())), { currency, couponDiscount, taxRate, taxExempt });
          const sum = (pick: (index: number) => string) =>
            units.reduce((total, _u, index) => total.plus(Money.of(pick(index), currency)), Money.zero(currency));
          const subtotal = sum((index) => priced.lines[index].amount);
          const discountTotal = sum((index) => priced.lines[index].discountAmount);
          const taxTotal = sum((index) => priced.lines[index].taxAmount);
          expect(priced.subtotal).toBe(subtotal.toString());
          expect(priced.discountTotal).toBe(discountTotal.toString());
          expect(priced.taxTotal).toBe(taxTotal.toString());
          const taxAdded = taxRate && !taxRate.inclusive && !taxExempt ? taxTotal : Money.zero(currency);
          expect(priced.total).toBe(subtotal.minus(discountTotal).plus(taxAdded).toString());
          if (taxExempt || taxRate === null) expect(taxTotal.isZero()).toBe(true);
          priced.lines.forEach((line) => {
            const amount = Money.of(line.amount, currency).amount;
            const discount = Money.of(line.discountAmount, currency).amount;
            // Same sign as the line (or zero), and never more than it.
            expect(discount.abs().lte(amount.abs())).toBe(true);
            expect(discount.times(amount).gte('0')).toBe(true);
          });
          if (rawDiscount?.kind === 'amount') {
            // Exactly the coupon's amount, capped at the subtotal (never below zero): the spread parts sum exactly.
            const cap = subtotal.isPositive() ? (subtotal.compare(money(rawDiscount.minorUnits)) < 0 ? subtotal : money(rawDiscount.minorUnits)) : Money.zero(currency);
            expect(priced.discountTotal).toBe(cap.toString());
          }
        },
      ),
      RUNS,
    );
  });

  it('inclusive tax never exceeds what it is contained in; exclusive tax is the rate of it, within half a minor unit', () => {
    fc.assert(
      fc.property(currencies, fc.bigInt({ min: 0n, max: 10n ** 12n }), percentageText(0), (currency, units, percentage) => {
        const amount = Money.fromMinorUnits(units, currency).toString();
        const [contained] = priceInvoice([draft(amount)], { currency, taxRate: inclusive(percentage), taxExempt: false }).lines;
        expect(Money.of(contained.taxAmount, currency).compare(Money.of(amount, currency))).toBeLessThanOrEqual(0);
        const [added] = priceInvoice([draft(amount)], { currency, taxRate: exclusive(percentage), taxExempt: false }).lines;
        const exact = Money.of(amount, currency).amount.times(percentage).div('100');
        const halfMinorUnit = Money.fromMinorUnits(1n, currency).amount.div('2');
        expect(Money.of(added.taxAmount, currency).amount.minus(exact).abs().lte(halfMinorUnit)).toBe(true);
      }),
      RUNS,
    );
  });
});

// ---- Invoices are priced when created -------------------------------------------------------

const vat: TaxRateDefinition = { id: 'de_vat', displayName: 'USt.', country: 'DE', region: null, percentage: '19', inclusive: false };

describe('invoiceCreated and createDraftInvoice price the invoice', () => {
  const source: InvoiceSource = {
    id: 'inv_1',
    customerId: 'cus_1',
    currency: 'EUR',
    source: 'billing_run',
    billingRunAsOf: '2026-02-01T00:00:00Z',
    subscriptionIds: ['sub_a', 'sub_b'],
    drafts: drafts('100.00', '50.00'),
    memo: null,
  };

  it('its totals are the totals of its numbered lines, whatever the coupons and the rate (random invoices)', () => {
    const amount = fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }).map((cents) => Money.fromMinorUnits(cents, 'EUR').toString());
    const coupon = fc.oneof(
      fc.integer({ min: 0, max: 100 }).map((value) => percent(String(value))),
      fc.bigInt({ min: 0n, max: 10n ** 8n }).map((cents) => amountOff(Money.fromMinorUnits(cents, 'EUR').toString(), 'EUR')),
    );
    const rate = fc.option(fc.record({ percentage: fc.constantFrom('0', '7', '19', '20.5'), inclusive: fc.boolean() }), { nil: null });
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 12 }), fc.option(coupon, { nil: null }), rate, fc.boolean(), (amounts, discount, taxRate, taxExempt) => {
        const lineIndexes = amounts.map((_amount, index) => index).filter((index) => index % 2 === 0);
        const { data } = invoiceCreated({
          ...source,
          drafts: drafts(...amounts),
          pricing: {
            discounts: discount === null ? [] : [{ couponDiscount: discount, lineIndexes }],
            taxRate: taxRate === null ? null : { ...vat, ...taxRate },
            taxExempt,
          },
        });
        expect(data.lines.map((line) => line.id)).toEqual(amounts.map((_amount, index) => `inv_1-${index + 1}`));
        const inclusiveTax = data.taxRate?.inclusive ?? false;
        const { subtotal, discountTotal, taxTotal, total } = data;
        expect({ subtotal, discountTotal, taxTotal, total }).toEqual(totalsOf(data.lines, 'EUR', inclusiveTax));
      }),
      RUNS,
    );
  });

  it('without pricing: no discount, no tax, no tax rate', () => {
    const { data } = invoiceCreated(source);
    expect(data).toMatchObject({ subtotal: '150.00', discountTotal: '0.00', taxTotal: '0.00', total: '150.00', taxRate: null });
  });

  it('keeps each line’s discount and tax, and the tax rate it used', () => {
    const { data } = invoiceCreated({
      ...source,
      pricing: { discounts: [{ couponDiscount: percent('10'), lineIndexes: [1] }], taxRate: vat, taxExempt: false },
    });
    expect(data.lines.map((line) => [line.id, line.amount, line.discountAmount, line.taxAmount])).toEqual([
      ['inv_1-1', '100.00', '0.00', '19.00'],
      ['inv_1-2', '50.00', '5.00', '8.55'],
    ]);
    expect(data).toMatchObject({ subtotal: '150.00', discountTotal: '5.00', taxTotal: '27.55', total: '172.55', taxRate: vat });
  });

  it('an inclusive rate: the total is the subtotal less discounts', () => {
    const { data } = invoiceCreated({ ...source, pricing: { discounts: [], taxRate: { ...vat, inclusive: true }, taxExempt: false } });
    expect(data).toMatchObject({ subtotal: '150.00', taxTotal: '23.95', total: '150.00' });
    const state = invoiceDecider.evolve(invoiceDecider.initialState(), { type: 'InvoiceCreated', data });
    expect(state).toMatchObject({ status: 'draft', amountDue: '150.00' });
  });

  it('a tax-exempt customer: no tax, and no tax rate kept', () => {
    const { data } = invoiceCreated({ ...source, pricing: { discounts: [], taxRate: vat, taxExempt: true } });
    expect(data).toMatchObject({ taxTotal: '0.00', total: '150.00', taxRate: null });
  });

  it('a one-off draft is taxed by the customer’s rate', () => {
    const [event] = given(invoiceDecider)
      .when((state) =>
        createDraftInvoice(
          { id: 'inv_2', customerId: 'cus_1', customerCurrency: 'EUR', lines: [{ description: 'Setup', unitAmount: '200.00' }], taxRate: vat },
          state,
        ),
      )
      .events();
    expect(event.data).toMatchObject({ subtotal: '200.00', taxTotal: '38.00', total: '238.00', taxRate: vat });
  });

  it('a draft whose total is negative after tax is still refused', () => {
    given(invoiceDecider)
      .when((state) =>
        createDraftInvoice(
          { id: 'inv_3', customerId: 'cus_1', customerCurrency: 'EUR', lines: [{ description: 'Goodwill', unitAmount: '-10.00' }], taxRate: vat },
          state,
        ),
      )
      .thenThrows(RuleViolationError, 'negative-invoice-total');
  });
});
