import { RecordedEvent } from '@accrual/event-store';
import { chunkByBytes, messageBytes, RelayMessage, retryDelayMs, toRelayMessage, topicMessagesOf } from './relay-batches';

function recorded(position: bigint, streamId: string, type: string, data: RecordedEvent['data']): RecordedEvent {
  return {
    id: `00000000-0000-4000-8000-${position.toString().padStart(12, '0')}`,
    type,
    streamId,
    revision: 0n,
    position,
    data,
    metadata: { actor: 'test', recordedAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
  };
}

const log: RecordedEvent[] = [
  recorded(1n, 'price-pro', 'PriceCreated', { id: 'pro' }),
  recorded(2n, 'customer-a', 'CustomerCreated', { id: 'a' }),
  recorded(3n, 'invoice-i1', 'InvoiceCreated', { id: 'i1', customerId: 'a' }),
  recorded(4n, 'customer-b', 'CustomerCreated', { id: 'b' }),
  recorded(5n, 'invoice-i1', 'InvoiceIssued', { invoiceId: 'i1', customerId: 'a' }),
  recorded(6n, 'sequence-invoice-numbers', 'InvoiceNumberAssigned', { invoiceId: 'i1', customerId: 'a' }),
  recorded(7n, 'invoice-i2', 'InvoiceCreated', { id: 'i2', customerId: 'b' }),
];

describe('toRelayMessage', () => {
  it('puts the envelope in the value and routes by topic and key', () => {
    const message = toRelayMessage(log[2], 'urn:accrual:test');
    expect(message).toMatchObject({ topic: 'accrual.invoices.v1', key: 'a', position: 3n });
    expect(JSON.parse(message.value)).toMatchObject({ id: log[2].id, type: 'accrual.InvoiceCreated.v1', source: 'urn:accrual:test' });
    expect(message.headers.ce_id).toBe(log[2].id);
  });
});

describe('topicMessagesOf', () => {
  it('groups by topic and keeps log order within each topic', () => {
    const grouped = topicMessagesOf(log.map((event) => toRelayMessage(event, 'urn:x')));
    expect(grouped.map((entry) => entry.topic)).toEqual(['accrual.catalog.v1', 'accrual.customers.v1', 'accrual.invoices.v1']);
    const invoices = grouped[2].messages.map((message) => JSON.parse(message.value).accrualposition);
    expect(invoices).toEqual(['3', '5', '6', '7']);
    expect(grouped[2].messages.map((message) => message.key)).toEqual(['a', 'a', 'a', 'b']);
  });

  it('puts a prefix before every topic name when given one', () => {
    const grouped = topicMessagesOf(log.map((event) => toRelayMessage(event, 'urn:x')), 'bench-1.');
    expect(grouped.map((entry) => entry.topic)).toEqual(['bench-1.accrual.catalog.v1', 'bench-1.accrual.customers.v1', 'bench-1.accrual.invoices.v1']);
  });
});

describe('chunkByBytes', () => {
  const messages = log.map((event) => toRelayMessage(event, 'urn:x'));
  const sizes = messages.map(messageBytes);

  it('keeps everything in one chunk when it fits', () => {
    expect(chunkByBytes(messages, 1_000_000)).toEqual([messages]);
  });

  it('cuts contiguous runs of the log, each within the limit, losing and reordering nothing', () => {
    const limit = Math.max(...sizes) * 2;
    const chunks = chunkByBytes(messages, limit);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(messages);
    for (const chunk of chunks) expect(chunk.reduce((sum, message) => sum + messageBytes(message), 0)).toBeLessThanOrEqual(limit);
  });

  it('sends a message bigger than the limit alone rather than dropping it', () => {
    const chunks = chunkByBytes(messages, 1);
    expect(chunks).toEqual(messages.map((message) => [message]));
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => chunkByBytes([] as RelayMessage[], 0)).toThrow(RangeError);
  });
});

describe('retryDelayMs', () => {
  it('doubles per consecutive failure up to the cap', () => {
    const backoff = { initialMs: 250, maxMs: 30_000 };
    expect([1, 2, 3, 4, 8, 9, 100, 10_000].map((failures) => retryDelayMs(failures, backoff))).toEqual([
      250, 500, 1_000, 2_000, 30_000, 30_000, 30_000, 30_000,
    ]);
  });
});
