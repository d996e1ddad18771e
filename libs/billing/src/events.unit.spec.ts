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
    const data = { id: 'cus_1', name: 'Ada' };
    expect(toAccrualEvent('CustomerCreated', 1, data)).toEqual({ type: 'CustomerCreated', data });
    expect(toAccrualEvent('CustomerCreated', undefined, data)).toEqual({ type: 'CustomerCreated', data });
    expect(upcast('CustomerCreated', 1, data)).toBe(data);
  });

  it('an InvoiceCreated of schema version 1 (before tax rates) reads back with no tax rate', () => {
    const data = { id: 'inv_1', taxTotal: '0.00' };
    expect(toAccrualEvent('InvoiceCreated', 1, data)).toEqual({ type: 'InvoiceCreated', data: { ...data, taxRate: null } });
    const taxed = { ...data, taxRate: { id: 'de_vat' } };
    expect(toAccrualEvent('InvoiceCreated', 2, taxed)).toEqual({ type: 'InvoiceCreated', data: taxed });
  });
});
