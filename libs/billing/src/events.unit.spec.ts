import { CURRENT_SCHEMA_VERSION, toAccrualEvent, upcast } from './events';

describe('events', () => {
  it('every event type has a current schema version', () => {
    expect(Object.keys(CURRENT_SCHEMA_VERSION).sort()).toEqual(
      [
        'CouponCreated',
        'CreditNoteIssued',
        'CustomerCreated',
        'CustomerCreditApplied',
        'CustomerCreditGranted',
        'CustomerCreditRevoked',
        'CustomerErased',
        'InvoiceCreated',
        'InvoiceCredited',
        'InvoiceIssued',
        'InvoiceMarkedUncollectible',
        'InvoiceNumberAssigned',
        'InvoicePaymentApplied',
        'InvoiceVoided',
        'MeterDefined',
        'PaymentReceived',
        'PaymentRefunded',
        'PaymentSettled',
        'PriceCreated',
        'SubscriptionBilled',
        'SubscriptionCanceled',
        'SubscriptionChanged',
        'SubscriptionCreated',
        'SubscriptionPaused',
        'SubscriptionResumed',
        'TaxRateCreated',
        'UsageRecorded',
      ].sort(),
    );
  });

  it('with no upcasters, a stored event reads back as it was written', () => {
    const data = { code: 'api_calls', name: 'API calls' };
    expect(toAccrualEvent('MeterDefined', 1, data)).toEqual({ type: 'MeterDefined', data });
    expect(toAccrualEvent('MeterDefined', undefined, data)).toEqual({ type: 'MeterDefined', data });
    expect(upcast('MeterDefined', 1, data)).toBe(data);
  });

  it('a CustomerCreated of schema version 1 (before encryption) reads back with its fields in the clear, as `personal`', () => {
    const data = { id: 'cus_1', name: 'Ada', email: 'ada@example.com', currency: 'EUR' };
    expect(toAccrualEvent('CustomerCreated', 1, data)).toEqual({
      type: 'CustomerCreated',
      data: { id: 'cus_1', currency: 'EUR', personal: { clear: { name: 'Ada', email: 'ada@example.com', address: null } } },
    });
    const sealed = { id: 'cus_1', currency: 'EUR', personal: { encrypted: 'v1.a.b.c' } };
    expect(toAccrualEvent('CustomerCreated', 2, sealed)).toEqual({ type: 'CustomerCreated', data: sealed });
  });

  it('an InvoiceCreated of schema version 1 (before tax rates) reads back with no tax rate', () => {
    const data = { id: 'inv_1', taxTotal: '0.00' };
    expect(toAccrualEvent('InvoiceCreated', 1, data)).toEqual({ type: 'InvoiceCreated', data: { ...data, taxRate: null } });
    const taxed = { ...data, taxRate: { id: 'de_vat' } };
    expect(toAccrualEvent('InvoiceCreated', 2, taxed)).toEqual({ type: 'InvoiceCreated', data: taxed });
  });
});
