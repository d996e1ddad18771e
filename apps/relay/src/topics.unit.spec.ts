import { streams } from '@accrual/billing';
import { CONTRACT_TOPICS, keyFor, topicFor, UnknownStreamKindError } from './topics';

describe('topicFor', () => {
  it.each([
    ['customer-cus_1', 'accrual.customers.v1'],
    ['subscription-sub_1', 'accrual.subscriptions.v1'],
    ['invoice-inv_1', 'accrual.invoices.v1'],
    ['credit-note-cn_1', 'accrual.invoices.v1'],
    ['sequence-invoice-numbers', 'accrual.invoices.v1'],
    ['payment-pay_1', 'accrual.payments.v1'],
    ['usage-cus_1', 'accrual.usage.v1'],
    ['price-pro_monthly', 'accrual.catalog.v1'],
    ['meter-api_calls', 'accrual.catalog.v1'],
    ['coupon-SAVE10', 'accrual.catalog.v1'],
    ['tax-rate-de_vat', 'accrual.catalog.v1'],
  ])('%s goes to %s', (streamId, topic) => {
    expect(topicFor(streamId)).toBe(topic);
  });

  it('has a topic for every stream kind the domain names', () => {
    const sampleStreamIds = Object.values(streams).map((name) => name('x_1'));
    for (const streamId of sampleStreamIds) {
      expect(Object.values(CONTRACT_TOPICS)).toContain(topicFor(streamId));
    }
  });

  it('stops at a stream kind it has no topic for, rather than guessing', () => {
    expect(() => topicFor('refund-r_1')).toThrow(UnknownStreamKindError);
    expect(() => topicFor('nodash')).toThrow(/no Kafka topic for stream "nodash"/);
  });
});

describe('keyFor', () => {
  it('keys customer-owned events by data.customerId', () => {
    expect(keyFor({ streamId: 'invoice-inv_1', data: { customerId: 'cus_9', id: 'inv_1' } })).toBe('cus_9');
    expect(keyFor({ streamId: 'sequence-invoice-numbers', data: { customerId: 'cus_9', invoiceId: 'inv_1' } })).toBe('cus_9');
    expect(keyFor({ streamId: 'subscription-sub_1', data: { customerId: 'cus_9' } })).toBe('cus_9');
  });

  it('keys customer-stream events by the customer id (data.id, else the stream name)', () => {
    expect(keyFor({ streamId: 'customer-cus_1', data: { id: 'cus_1', name: 'Ada' } })).toBe('cus_1');
    expect(keyFor({ streamId: 'customer-cus-with-dashes', data: { reason: 'gdpr' } })).toBe('cus-with-dashes');
  });

  it('keys usage by the customer of the usage stream when the data names none', () => {
    expect(keyFor({ streamId: 'usage-cus_2', data: { meterCode: 'calls' } })).toBe('cus_2');
    expect(keyFor({ streamId: 'usage-cus_2', data: { customerId: 'cus_2' } })).toBe('cus_2');
  });

  it('keys catalog events by their own stream id, even when they mention a customer', () => {
    expect(keyFor({ streamId: 'price-pro', data: { id: 'pro' } })).toBe('price-pro');
    expect(keyFor({ streamId: 'meter-calls', data: { code: 'calls' } })).toBe('meter-calls');
    expect(keyFor({ streamId: 'coupon-SAVE', data: { customerId: 'cus_1' } })).toBe('coupon-SAVE');
    expect(keyFor({ streamId: 'tax-rate-de', data: {} })).toBe('tax-rate-de');
  });

  it('falls back to the stream id when a customer-owned event names no customer', () => {
    expect(keyFor({ streamId: 'payment-pay_1', data: { customerId: '' } })).toBe('payment-pay_1');
    expect(keyFor({ streamId: 'invoice-inv_1', data: { customerId: 42 } })).toBe('invoice-inv_1');
  });
});
