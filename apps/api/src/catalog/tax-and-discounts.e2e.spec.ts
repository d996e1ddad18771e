import { EVENTS_TABLE } from '@accrual/event-store';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApi, testConfig, TestApi, TestResponse } from '../../../../test/support/api-app';

/**
 * Tax rates and coupons end to end on real Postgres: created through the API, named by
 * subscriptions, applied by billing runs and to one-off drafts, and read back on the invoices
 * (docs/billing.md, "Discounts and tax").
 */
describeWithPostgres('tax rates and discounts through the HTTP API', () => {
  let api: TestApi;
  let database: TestDatabase;
  /** The log position of the last command that wrote, to read our own writes. */
  let lastWritePosition = '0';

  const post = async (path: string, body: unknown, key?: string) => {
    const response = await api.request('POST', path, { body, key });
    const position = response.headers.get('x-log-position');
    if (response.status < 300 && position !== null && BigInt(position) > BigInt(lastWritePosition)) lastWritePosition = position;
    return response;
  };
  const created = async (path: string, body: unknown) => {
    const response = await post(path, body);
    expect({ path, status: response.status, body: response.body }).toMatchObject({ path, status: 201 });
    return response;
  };
  /**
   * Waits until the read models hold every write so far: billing runs and drafts find due
   * subscriptions and tax rates there, and the log head they wait for may lag behind the last
   * commit while other transactions are open on the server.
   */
  const caughtUp = async () => {
    const response = await api.request('GET', '/v1/customers/ca_co', { headers: { 'x-min-position': lastWritePosition } });
    expect(response.status).toBe(200);
  };
  /** Every event in the log, counted in the table itself (exact, whatever is still committing). */
  const eventCount = async () =>
    (await api.runtime.sql.query<{ count: string }>(`select count(*)::text as count from ${EVENTS_TABLE}`)).rows[0].count;
  const invoice = async (id: string, after: TestResponse) => {
    const response = await api.request('GET', `/v1/invoices/${id}`, {
      headers: { 'x-min-position': after.headers.get('x-log-position') as string },
    });
    expect(response.status).toBe(200);
    return response.body;
  };
  /** Runs billing at `asOf` and answers its invoices by customer. */
  const billingRun = async (asOf: string) => {
    await caughtUp();
    const run = await post('/v1/billing-runs', { asOf });
    expect(run.status).toBe(200);
    const invoices = await Promise.all((run.body.invoiceIds as string[]).map((id) => invoice(id, run)));
    return new Map(invoices.map((found) => [found.customerId as string, found]));
  };
  const figures = (found: { lines: Array<Record<string, unknown>> }) =>
    found.lines.map((line) => [line.priceId, line.amount, line.discountAmount, line.taxAmount]);
  const totals = (found: Record<string, unknown>) => ({
    subtotal: found.subtotal,
    discountTotal: found.discountTotal,
    taxTotal: found.taxTotal,
    total: found.total,
    amountDue: found.amountDue,
  });

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_tax_e2e');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));

    await created('/v1/tax-rates', { id: 'us_sales', displayName: 'US sales tax', country: 'US', percentage: '5', inclusive: false });
    await created('/v1/tax-rates', { id: 'us_ca', displayName: 'California sales tax', country: 'US', region: 'CA', percentage: '7.25', inclusive: false });
    await created('/v1/tax-rates', { id: 'de_vat', displayName: 'USt. 19 %', country: 'DE', percentage: 19, inclusive: true });
    await created('/v1/coupons', { id: 'PCT20', percentOff: '20', duration: 'forever' });
    await created('/v1/coupons', { id: 'TEN_USD', amountOff: '10.00', currency: 'USD', duration: 'once' });
    await created('/v1/coupons', { id: 'HALF2', percentOff: 50, duration: 'repeating', durationInMonths: 2 });

    const monthly = { interval: 'month', usage: 'licensed' };
    await created('/v1/prices', { id: 'seats', product: 'Seats', currency: 'USD', recurring: monthly, model: 'per_unit', unitAmount: '10.00' });
    await created('/v1/prices', { id: 'addon', product: 'Add-on', currency: 'USD', recurring: monthly, model: 'flat', flatAmount: '9.99' });
    await created('/v1/prices', { id: 'sitze', product: 'Sitze', currency: 'EUR', recurring: monthly, model: 'per_unit', unitAmount: '10.00' });

    const customer = (id: string, more: object) => created('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', ...more });
    await customer('ca_co', { country: 'US', region: 'CA' });
    await customer('ny_co', { country: 'US', region: 'NY' });
    await customer('exempt_co', { country: 'US', region: 'CA', taxExempt: true });
    await customer('de_co', { country: 'DE', currency: 'EUR' });
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('answers the coupon and the tax rate it created', async () => {
    const coupon = await created('/v1/coupons', { id: 'FIVE_JPY', amountOff: '500', currency: 'JPY', duration: 'forever' });
    expect(coupon.body).toEqual({ id: 'FIVE_JPY', percentOff: null, amountOff: '500', currency: 'JPY', duration: 'forever', durationInMonths: null });
    expect(coupon.headers.get('x-log-position')).toMatch(/^\d+$/);
    const rate = await created('/v1/tax-rates', { id: 'jp', displayName: 'JCT', country: 'JP', percentage: '10.0000', inclusive: true });
    expect(rate.body).toEqual({ id: 'jp', displayName: 'JCT', country: 'JP', region: null, percentage: '10', inclusive: true });
    const streams = [await api.runtime.eventStore.readStream('coupon-FIVE_JPY'), await api.runtime.eventStore.readStream('tax-rate-jp')];
    expect(streams.map((events) => events.map((event) => event.type))).toEqual([['CouponCreated'], ['TaxRateCreated']]);
  });

  it('refusals append nothing: 400 bad input, 403 without the role, 409 an id that exists, 422 unknown coupon or currency mismatch', async () => {
    const before = await eventCount();
    const refusals: Array<[string, unknown, number, string]> = [
      ['/v1/coupons', { id: 'BOTH', percentOff: '10', amountOff: '1.00', currency: 'USD', duration: 'once' }, 400, 'invalid-input'],
      ['/v1/coupons', { id: 'NUMBER', amountOff: 10, currency: 'USD', duration: 'once' }, 400, 'invalid-input'],
      ['/v1/coupons', { id: 'CENTS', amountOff: '1.001', currency: 'USD', duration: 'once' }, 400, 'invalid-input'],
      ['/v1/coupons', { id: 'NOMONTHS', percentOff: '10', duration: 'repeating' }, 400, 'invalid-input'],
      ['/v1/coupons', { id: 'bad id', percentOff: '10', duration: 'once' }, 400, 'invalid-input'],
      ['/v1/coupons', { id: 'PCT20', percentOff: '20', duration: 'forever' }, 409, 'coupon-exists'],
      ['/v1/tax-rates', { id: 'too_much', displayName: 'x', country: 'US', percentage: '100.5', inclusive: false }, 400, 'invalid-input'],
      ['/v1/tax-rates', { id: 'lower', displayName: 'x', country: 'us', percentage: '5', inclusive: false }, 400, 'invalid-input'],
      ['/v1/tax-rates', { id: 'no_flag', displayName: 'x', country: 'US', percentage: '5' }, 400, 'invalid-input'],
      ['/v1/tax-rates', { id: 'us_ca', displayName: 'again', country: 'US', region: 'CA', percentage: '8', inclusive: false }, 409, 'tax-rate-exists'],
      ['/v1/subscriptions', { id: 'sub_x', customerId: 'ca_co', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'seats' }], couponId: 'NOPE' }, 422, 'unknown-coupon'],
      ['/v1/subscriptions', { id: 'sub_y', customerId: 'de_co', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'sitze' }], couponId: 'TEN_USD' }, 422, 'currency-mismatch'],
    ];
    for (const [path, body, status, type] of refusals) {
      const response = await post(path, body);
      expect({ path, body, status: response.status, type: response.body?.type }).toEqual({ path, body, status, type });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await post('/v1/coupons', { id: 'READER', percentOff: '10', duration: 'once' }, 'reader-key')).status).toBe(403);
    expect(await eventCount()).toBe(before);
    for (const stream of ['coupon-BOTH', 'coupon-NUMBER', 'coupon-READER', 'tax-rate-too_much', 'subscription-sub_x', 'subscription-sub_y']) {
      expect(await api.runtime.eventStore.readStream(stream)).toEqual([]);
    }
  });

  it('bills coupons before tax: per subscription on a consolidated invoice, once / repeating / forever, exempt and inclusive', async () => {
    const subscribe = (id: string, customerId: string, items: object[], couponId?: string) =>
      created('/v1/subscriptions', { id, customerId, startDate: '2026-01-01T00:00:00Z', items, ...(couponId ? { couponId } : {}) });
    const forever = await subscribe('sub_ca', 'ca_co', [{ priceId: 'seats', quantity: 3 }, { priceId: 'addon' }], 'PCT20');
    expect(forever.body).toMatchObject({ couponId: 'PCT20' });
    await subscribe('sub_ca2', 'ca_co', [{ priceId: 'seats', quantity: 2 }, { priceId: 'addon' }], 'TEN_USD');
    await subscribe('sub_exempt', 'exempt_co', [{ priceId: 'seats' }], 'HALF2');
    await subscribe('sub_de', 'de_co', [{ priceId: 'sitze', quantity: 3 }]);

    const january = await billingRun('2026-01-01T00:00:00Z');
    const caJanuary = january.get('ca_co');
    // sub_ca, 20 % off: 30.00 − 6.00, tax 7.25 % of 24.00 = 1.74; 9.99 − 2.00 (1.998), tax of 7.99 = 0.58.
    // sub_ca2, 10.00 off once, spread over 20.00 and 9.99: 6.668… → 6.67 and the rest, 3.33, last;
    // tax of 13.33 = 0.97 (0.966425), of 6.66 = 0.48 (0.48285).
    expect(figures(caJanuary)).toEqual([
      ['seats', '30.00', '6.00', '1.74'],
      ['addon', '9.99', '2.00', '0.58'],
      ['seats', '20.00', '6.67', '0.97'],
      ['addon', '9.99', '3.33', '0.48'],
    ]);
    expect(totals(caJanuary)).toEqual({ subtotal: '69.98', discountTotal: '18.00', taxTotal: '3.77', total: '55.75', amountDue: '55.75' });
    expect(caJanuary).toMatchObject({ status: 'open', taxRate: { id: 'us_ca', percentage: '7.25', inclusive: false } });

    // Tax exempt: half off, no tax.
    expect(figures(january.get('exempt_co'))).toEqual([['seats', '10.00', '5.00', '0.00']]);
    expect(totals(january.get('exempt_co'))).toMatchObject({ taxTotal: '0.00', total: '5.00' });
    expect(january.get('exempt_co').taxRate).toBeNull();

    // Inclusive 19 %: contained in 30.00 (30 × 19/119 = 4.789… → 4.79), not added.
    expect(figures(january.get('de_co'))).toEqual([['sitze', '30.00', '0.00', '4.79']]);
    expect(totals(january.get('de_co'))).toEqual({ subtotal: '30.00', discountTotal: '0.00', taxTotal: '4.79', total: '30.00', amountDue: '30.00' });
    expect(january.get('de_co').taxRate).toMatchObject({ id: 'de_vat', inclusive: true });

    const february = await billingRun('2026-02-01T00:00:00Z');
    // The once coupon is used up; the forever one goes on: tax of 20.00 = 1.45, of 9.99 = 0.72 (0.724275).
    expect(figures(february.get('ca_co'))).toEqual([
      ['seats', '30.00', '6.00', '1.74'],
      ['addon', '9.99', '2.00', '0.58'],
      ['seats', '20.00', '0.00', '1.45'],
      ['addon', '9.99', '0.00', '0.72'],
    ]);
    expect(totals(february.get('ca_co'))).toMatchObject({ discountTotal: '8.00', taxTotal: '4.49', total: '66.47' });
    // Repeating for 2 months from Jan 1: February's period is still in.
    expect(totals(february.get('exempt_co'))).toMatchObject({ discountTotal: '5.00', total: '5.00' });

    const march = await billingRun('2026-03-01T00:00:00Z');
    expect(totals(march.get('exempt_co'))).toMatchObject({ discountTotal: '0.00', total: '10.00' });
  });

  it('taxes a one-off draft by the customer’s rate: a region’s rate, else the country’s', async () => {
    await caughtUp();
    const draft = async (customerId: string) => {
      const response = await created('/v1/invoices', { customerId, lines: [{ description: 'Consulting', quantity: 2, unitAmount: '50.00' }] });
      return invoice(response.body.id, response);
    };
    const california = await draft('ca_co');
    expect(california).toMatchObject({ status: 'draft', subtotal: '100.00', taxTotal: '7.25', total: '107.25', amountDue: '107.25' });
    expect(california.lines[0]).toMatchObject({ amount: '100.00', discountAmount: '0.00', taxAmount: '7.25' });
    const newYork = await draft('ny_co');
    expect(newYork).toMatchObject({ taxTotal: '5.00', total: '105.00', taxRate: { id: 'us_sales' } });
    expect(await draft('exempt_co')).toMatchObject({ taxTotal: '0.00', total: '100.00', taxRate: null });

    // Issuing keeps what was computed when the invoice was created.
    const issued = await post(`/v1/invoices/${california.id}/issue`, { issuedAt: '2026-03-02T00:00:00Z' });
    expect(issued.status).toBe(200);
    expect(await invoice(california.id, issued)).toMatchObject({ status: 'open', taxTotal: '7.25', total: '107.25' });
  });
});
