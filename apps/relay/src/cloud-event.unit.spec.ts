import { RecordedEvent } from '@accrual/event-store';
import { cloudEventHeaders, toCloudEvent } from './cloud-event';

const invoiceIssued: RecordedEvent = {
  id: '0b7f8a52-5c3e-4d5f-9c1a-2f1e0c9d8b7a',
  type: 'InvoiceIssued',
  streamId: 'invoice-inv_1',
  revision: 1n,
  position: 9_007_199_254_740_993n, // 2^53 + 1: must survive as a string
  data: { invoiceId: 'inv_1', customerId: 'cus_1', issuedAt: '2026-01-15T00:00:00Z', dueDate: '2026-02-14' },
  metadata: {
    actor: 'billing-bot',
    role: 'operator',
    correlationId: 'corr-1',
    causationId: 'req-1',
    requestId: 'req-1',
    recordedAt: '2026-01-15T00:00:01.234Z',
    schemaVersion: 1,
  },
};

describe('toCloudEvent', () => {
  it('builds a CloudEvents 1.0 envelope with the event id, stream and log position', () => {
    expect(toCloudEvent(invoiceIssued, 'urn:accrual:test')).toEqual({
      specversion: '1.0',
      id: '0b7f8a52-5c3e-4d5f-9c1a-2f1e0c9d8b7a',
      source: 'urn:accrual:test',
      type: 'accrual.InvoiceIssued.v1',
      subject: 'invoice-inv_1',
      time: '2026-01-15T00:00:01.234Z',
      datacontenttype: 'application/json',
      data: invoiceIssued.data,
      accrualstream: 'invoice-inv_1',
      accrualposition: '9007199254740993',
      accrualrevision: '1',
      accrualactor: 'billing-bot',
      accrualcorrelationid: 'corr-1',
      accrualcausationid: 'req-1',
    });
  });

  it('defaults the source to urn:accrual:ledger', () => {
    expect(toCloudEvent(invoiceIssued).source).toBe('urn:accrual:ledger');
  });

  it('names the type by the schema version, version 1 when the metadata has none', () => {
    expect(toCloudEvent({ ...invoiceIssued, metadata: { ...invoiceIssued.metadata, schemaVersion: 3 } }).type).toBe(
      'accrual.InvoiceIssued.v3',
    );
    const { schemaVersion: _schemaVersion, ...withoutVersion } = invoiceIssued.metadata;
    expect(toCloudEvent({ ...invoiceIssued, metadata: withoutVersion }).type).toBe('accrual.InvoiceIssued.v1');
  });

  it('leaves out correlation and causation when the event has none', () => {
    const envelope = toCloudEvent({ ...invoiceIssued, metadata: { actor: 'system', recordedAt: '2026-01-15T00:00:00Z' } });
    expect(envelope).not.toHaveProperty('accrualcorrelationid');
    expect(envelope).not.toHaveProperty('accrualcausationid');
  });

  it('uses only lowercase alphanumeric attribute names, as the spec requires', () => {
    for (const name of Object.keys(toCloudEvent(invoiceIssued))) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
  });

  it('survives a JSON round trip unchanged (no bigint, no undefined)', () => {
    const envelope = toCloudEvent(invoiceIssued);
    expect(JSON.parse(JSON.stringify(envelope))).toEqual(envelope);
  });
});

describe('cloudEventHeaders', () => {
  it('marks the value as a structured CloudEvent and repeats id and type', () => {
    expect(cloudEventHeaders(toCloudEvent(invoiceIssued))).toEqual({
      'content-type': 'application/cloudevents+json; charset=UTF-8',
      ce_id: invoiceIssued.id,
      ce_type: 'accrual.InvoiceIssued.v1',
    });
  });
});
