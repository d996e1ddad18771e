import { invoiceCreated } from '../invoices/invoice';
import { billAt, usageOf } from '../testing/billing';
import { at, priceDefinition, pricesById, subscriptionOf } from '../testing/fixtures';
import { BillingPlan } from './billing-plan';
import { billingRunInvoiceId, consolidate, SubscriptionCharge } from './consolidate';

const seats = priceDefinition({ id: 'price_seats', product: 'Seats', unitAmount: '10.00' });
const seatsInEuro = priceDefinition({ id: 'price_seats_eur', product: 'Sitze', currency: 'EUR', unitAmount: '9.00' });
const prices = pricesById(seats, seatsInEuro);
const asOf = '2026-02-01T00:00:00Z';

function charge(id: string, customerId: string, priceId = 'price_seats', currency = 'USD'): SubscriptionCharge {
  const subscription = subscriptionOf({ id, customerId, startDate: '2026-02-01T00:00:00Z', items: [{ priceId }] }, prices, [], currency);
  return { subscription, plan: billAt(subscription, prices, at(asOf), usageOf('0')).plan };
}

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('consolidate', () => {
  it('puts everything one customer owes in one currency on one invoice, across subscriptions', () => {
    const charges = [charge('sub_b', 'cus_1'), charge('sub_a', 'cus_1')];
    const [invoice, ...others] = consolidate(asOf, charges);
    expect(others).toEqual([]);
    expect(invoice).toEqual({
      id: billingRunInvoiceId('cus_1', 'USD', asOf, ['sub_a', 'sub_b']),
      customerId: 'cus_1',
      currency: 'USD',
      source: 'billing_run',
      billingRunAsOf: asOf,
      subscriptionIds: ['sub_a', 'sub_b'],
      drafts: [...charges[1].plan.lines, ...charges[0].plan.lines],
      memo: null,
    });
  });

  it('makes one invoice per customer and currency', () => {
    const invoices = consolidate(asOf, [
      charge('sub_1', 'cus_1'),
      charge('sub_2', 'cus_2'),
      charge('sub_3', 'cus_1', 'price_seats_eur', 'EUR'),
      charge('sub_4', 'cus_1'),
    ]);
    expect(invoices.map((invoice) => [invoice.customerId, invoice.currency, invoice.subscriptionIds])).toEqual([
      ['cus_1', 'USD', ['sub_1', 'sub_4']],
      ['cus_2', 'USD', ['sub_2']],
      ['cus_1', 'EUR', ['sub_3']],
    ]);
    expect(new Set(invoices.map((invoice) => invoice.id)).size).toBe(3);
  });

  it('leaves out subscriptions with nothing to bill', () => {
    const empty: BillingPlan = { lines: [], progress: [] };
    const idle = { ...charge('sub_idle', 'cus_1'), plan: empty };
    expect(consolidate(asOf, [idle])).toEqual([]);
    expect(consolidate(asOf, [idle, charge('sub_busy', 'cus_1')]).map((invoice) => invoice.subscriptionIds)).toEqual([['sub_busy']]);
  });

  it('names the invoice deterministically: the same run gives the same ids, whatever the order of the charges', () => {
    const charges = [charge('sub_c', 'cus_1'), charge('sub_a', 'cus_2'), charge('sub_b', 'cus_1')];
    const once = consolidate(asOf, charges);
    const reversed = consolidate(asOf, [...charges].reverse());
    expect(byId(reversed)).toEqual(byId(once));
    expect(once.every((invoice) => /^inv_[0-9a-f]{24}$/.test(invoice.id))).toBe(true);
  });

  it('another asOf, customer, currency or set of subscriptions is another invoice id', () => {
    const id = billingRunInvoiceId('cus_1', 'USD', asOf, ['sub_a']);
    expect(billingRunInvoiceId('cus_1', 'USD', '2026-03-01T00:00:00Z', ['sub_a'])).not.toBe(id);
    expect(billingRunInvoiceId('cus_2', 'USD', asOf, ['sub_a'])).not.toBe(id);
    expect(billingRunInvoiceId('cus_1', 'EUR', asOf, ['sub_a'])).not.toBe(id);
    expect(billingRunInvoiceId('cus_1', 'USD', asOf, ['sub_a', 'sub_b'])).not.toBe(id);
    // Fields are separated, so shifting characters between them cannot collide.
    expect(billingRunInvoiceId('cus_1U', 'SD', asOf, ['sub_a'])).not.toBe(id);
  });

  it('gives invoices whose lines add up to their totals', () => {
    const [source] = consolidate(asOf, [charge('sub_a', 'cus_1'), charge('sub_b', 'cus_1')]);
    const created = invoiceCreated(source);
    expect(created.data).toMatchObject({ subtotal: '20.00', total: '20.00', subscriptionIds: ['sub_a', 'sub_b'] });
    expect(created.data.lines.map((line) => line.id)).toEqual([`${source.id}-1`, `${source.id}-2`]);
  });
});
