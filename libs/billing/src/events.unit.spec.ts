import { CURRENT_SCHEMA_VERSION, toAccrualEvent, upcast } from './events';

describe('events', () => {
  it('every event type has a current schema version', () => {
    expect(Object.keys(CURRENT_SCHEMA_VERSION).sort()).toEqual(
      [
        'CustomerCreated',
        'InvoiceCreated',
        'InvoiceIssued',
        'InvoiceNumberAssigned',
        'MeterDefined',
        'PriceCreated',
        'SubscriptionBilled',
        'SubscriptionCreated',
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
});
