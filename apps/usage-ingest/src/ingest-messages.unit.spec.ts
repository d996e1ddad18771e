import { DLQ_HEADERS, deadLetterOf, decodeMessage, MESSAGE_ERROR_TYPES, nextOffset, slicesOf, USAGE_INGEST_DLQ_TOPIC, USAGE_INGEST_TOPIC } from './ingest-messages';
import { loadIngestSettings } from './ingest-settings';

describe('ingest messages', () => {
  it('uses the contract topic names by default', () => {
    expect(USAGE_INGEST_TOPIC).toBe('accrual.usage-ingest.v1');
    expect(USAGE_INGEST_DLQ_TOPIC).toBe('accrual.usage-ingest.dlq.v1');
  });

  it('decodes a JSON body and refuses an empty or unparseable value', () => {
    expect(decodeMessage(Buffer.from('{"id":"u1"}'))).toEqual({ ok: true, body: { id: 'u1' } });
    expect(decodeMessage(Buffer.from('[1]'))).toEqual({ ok: true, body: [1] });
    expect(decodeMessage(null)).toMatchObject({ ok: false, refusal: { type: MESSAGE_ERROR_TYPES.emptyValue } });
    expect(decodeMessage(Buffer.alloc(0))).toMatchObject({ ok: false, refusal: { type: MESSAGE_ERROR_TYPES.emptyValue } });
    expect(decodeMessage(Buffer.from('{"id":'))).toMatchObject({ ok: false, refusal: { type: MESSAGE_ERROR_TYPES.invalidJson } });
    const withCard = decodeMessage(Buffer.from('{"id":"u1","properties":{"note":"4111 1111 1111 1111"}}'));
    expect(withCard).toMatchObject({ ok: false, refusal: { type: 'card-data-refused', withholdValue: true } });
    expect(JSON.stringify(withCard)).not.toContain('4111');
  });

  it('cuts messages into consecutive slices of at most 1,000', () => {
    const items = Array.from({ length: 2001 }, (_unused, index) => index);
    const slices = slicesOf(items);
    expect(slices.map((slice) => slice.length)).toEqual([1000, 1000, 1]);
    expect(slices.flat()).toEqual(items);
    expect(slicesOf([])).toEqual([]);
    expect(() => slicesOf(items, 0)).toThrow(RangeError);
  });

  it('keeps the original key, value and headers on a dead letter and adds why and where from', () => {
    const letter = deadLetterOf(
      { offset: '41', timestamp: '1767225600000', key: Buffer.from('cus_1'), value: Buffer.from('{"id":'), headers: { 'x-source': Buffer.from('gw') } },
      { type: 'invalid-json', detail: 'x'.repeat(5000) },
      { topic: 'accrual.usage-ingest.v1', partition: 3, groupId: 'accrual-usage-ingest' },
    );
    expect(letter.key?.toString()).toBe('cus_1');
    expect(letter.value?.toString()).toBe('{"id":');
    expect(letter.headers['x-source'].toString()).toBe('gw');
    expect(letter.headers).toMatchObject({
      [DLQ_HEADERS.errorType]: 'invalid-json',
      [DLQ_HEADERS.originalTopic]: 'accrual.usage-ingest.v1',
      [DLQ_HEADERS.originalPartition]: '3',
      [DLQ_HEADERS.originalOffset]: '41',
      [DLQ_HEADERS.originalTimestamp]: '1767225600000',
      [DLQ_HEADERS.consumerGroup]: 'accrual-usage-ingest',
    });
    expect((letter.headers[DLQ_HEADERS.errorDetail] as string).length).toBe(1000);
  });

  it('withholds the value of a message refused for card data from its dead letter', () => {
    const value = Buffer.from('{"id":"u1","properties":{"note":"4111111111111111"}}');
    const decoded = decodeMessage(value);
    if (decoded.ok) throw new Error('a card number must be refused');
    const letter = deadLetterOf(
      { offset: '7', timestamp: '1767225600000', key: Buffer.from('cus_1'), value },
      decoded.refusal,
      { topic: 'accrual.usage-ingest.v1', partition: 0, groupId: 'accrual-usage-ingest' },
    );
    expect(letter.value).toBeNull();
    expect(letter.headers[DLQ_HEADERS.errorType]).toBe('card-data-refused');
    expect(JSON.stringify(letter.headers)).not.toContain('4111111111111111');
  });

  it('commits the offset after the last one done', () => {
    expect(nextOffset('0')).toBe('1');
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });

  it('reads its settings from the environment', () => {
    expect(loadIngestSettings({})).toEqual({ enabled: true, actor: 'kafka-ingest', groupId: 'accrual-usage-ingest' });
    expect(loadIngestSettings({ ACCRUAL_KAFKA_INGEST: 'off', ACCRUAL_KAFKA_INGEST_ACTOR: 'gw', ACCRUAL_KAFKA_INGEST_GROUP: 'g' })).toEqual({ enabled: false, actor: 'gw', groupId: 'g' });
  });
});
