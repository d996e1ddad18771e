import { InvalidInputError } from '../shared/errors';
import { fieldsOf } from '../testing/decider-spec';
import { at } from '../testing/fixtures';
import { MAX_PROPERTY_VALUE_LENGTH, MAX_USAGE_PROPERTIES, parseUsage, usageRecorded } from './usage';

const wallClockNow = at('2026-01-15T12:00:00Z');

const body = {
  id: 'evt_1',
  subscriptionId: 'sub_1',
  meterCode: 'api_calls',
  quantity: '2.5',
  timestamp: '2026-01-15T11:00:00Z',
  properties: { region: 'eu', user_id: 'u1', retries: 2, cached: false, note: null },
};

const refusedFields = (raw: unknown, now = wallClockNow): string[] => {
  try {
    parseUsage(raw, now);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return fieldsOf(error as InvalidInputError);
  }
  throw new Error('expected parseUsage to refuse the body');
};

const minutes = (count: number) => count * 60_000;
const isoAfterNow = (ms: number) => new Date(wallClockNow + ms).toISOString();

describe('parseUsage', () => {
  it('reads a usage event for a subscription', () => {
    expect(parseUsage(body, wallClockNow)).toEqual({
      id: 'evt_1',
      subscriptionId: 'sub_1',
      customerId: null,
      meterCode: 'api_calls',
      quantity: '2.5',
      timestamp: at('2026-01-15T11:00:00Z'),
      properties: body.properties,
    });
  });

  it('reads a usage event for a customer', () => {
    const { subscriptionId: _subscriptionId, ...rest } = body;
    expect(parseUsage({ ...rest, customerId: 'cus_1' }, wallClockNow)).toMatchObject({ subscriptionId: null, customerId: 'cus_1' });
  });

  it('quantity defaults to "1"; properties to none', () => {
    const { quantity: _quantity, properties: _properties, ...rest } = body;
    expect(parseUsage(rest, wallClockNow)).toMatchObject({ quantity: '1', properties: {} });
    expect(parseUsage({ ...rest, quantity: null, properties: null }, wallClockNow)).toMatchObject({ quantity: '1', properties: {} });
  });

  it('accepts whole JSON numbers and canonical decimal strings as quantities', () => {
    expect(parseUsage({ ...body, quantity: 3 }, wallClockNow).quantity).toBe('3');
    expect(parseUsage({ ...body, quantity: 0 }, wallClockNow).quantity).toBe('0');
    expect(parseUsage({ ...body, quantity: '1.500' }, wallClockNow).quantity).toBe('1.5');
    expect(parseUsage({ ...body, quantity: '0.000000000001' }, wallClockNow).quantity).toBe('0.000000000001');
  });

  it.each([[1.5], [-1], ['-1'], ['1e3'], ['0.0000000000001'], [Number.MAX_SAFE_INTEGER + 2], [true]])('refuses the quantity %j', (quantity) => {
    expect(refusedFields({ ...body, quantity })).toEqual(['quantity']);
  });

  it('wants exactly one of subscriptionId and customerId', () => {
    expect(refusedFields({ ...body, customerId: 'cus_1' })).toEqual(['subscriptionId']);
    expect(refusedFields({ ...body, subscriptionId: undefined })).toEqual(['subscriptionId']);
    expect(refusedFields({ ...body, subscriptionId: null, customerId: null })).toEqual(['subscriptionId']);
  });

  it('checks the ids against the contract’s pattern', () => {
    expect(refusedFields({ ...body, id: 'evt 1' })).toEqual(['id']);
    expect(refusedFields({ ...body, id: 'x'.repeat(65) })).toEqual(['id']);
    expect(refusedFields({ ...body, id: undefined })).toEqual(['id']);
    expect(refusedFields({ ...body, id: 42 })).toEqual(['id']);
    expect(parseUsage({ ...body, id: `A-z_0${'9'.repeat(59)}` }, wallClockNow).id).toHaveLength(64);
    expect(refusedFields({ ...body, subscriptionId: 'sub/1' })).toEqual(['subscriptionId']);
    expect(refusedFields({ ...body, subscriptionId: undefined, customerId: 'cus.1' })).toEqual(['customerId']);
    expect(refusedFields({ ...body, subscriptionId: 7 })).toEqual(['subscriptionId']);
  });

  it('needs a meterCode', () => {
    expect(refusedFields({ ...body, meterCode: '' })).toEqual(['meterCode']);
    expect(refusedFields({ ...body, meterCode: undefined })).toEqual(['meterCode']);
    expect(refusedFields({ ...body, meterCode: 'x'.repeat(65) })).toEqual(['meterCode']);
  });

  describe('timestamp', () => {
    it('accepts the past, however far back (migrations)', () => {
      expect(parseUsage({ ...body, timestamp: '2001-01-01T00:00:00Z' }, wallClockNow).timestamp).toBe(at('2001-01-01'));
    });

    it('accepts up to 5 minutes ahead of the given wall clock', () => {
      expect(parseUsage({ ...body, timestamp: isoAfterNow(minutes(4)) }, wallClockNow).timestamp).toBe(wallClockNow + minutes(4));
      expect(parseUsage({ ...body, timestamp: isoAfterNow(minutes(5)) }, wallClockNow).timestamp).toBe(wallClockNow + minutes(5));
    });

    it('refuses more than 5 minutes ahead, relative to the wall clock it is given (not the real one)', () => {
      expect(refusedFields({ ...body, timestamp: isoAfterNow(minutes(5) + 1) })).toEqual(['timestamp']);
      expect(refusedFields({ ...body, timestamp: isoAfterNow(minutes(6)) })).toEqual(['timestamp']);
      // The same instant is fine for a wall clock one hour later.
      expect(parseUsage({ ...body, timestamp: isoAfterNow(minutes(6)) }, wallClockNow + minutes(60)).timestamp).toBe(wallClockNow + minutes(6));
    });

    it('reads offsets as UTC', () => {
      expect(parseUsage({ ...body, timestamp: '2026-01-15T12:00:00+01:00' }, wallClockNow).timestamp).toBe(at('2026-01-15T11:00:00Z'));
    });

    it.each([[undefined], ['2026-01-15'], ['2026-02-30T00:00:00Z'], ['2026-01-15T00:00:00+99:00'], [1768478400000]])(
      'refuses the timestamp %j',
      (timestamp) => {
        expect(refusedFields({ ...body, timestamp })).toEqual(['timestamp']);
      },
    );
  });

  describe('properties', () => {
    const propertiesOf = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`p${index}`, index]));

    it(`allows ${MAX_USAGE_PROPERTIES} properties, not one more`, () => {
      expect(Object.keys(parseUsage({ ...body, properties: propertiesOf(MAX_USAGE_PROPERTIES) }, wallClockNow).properties)).toHaveLength(
        MAX_USAGE_PROPERTIES,
      );
      expect(refusedFields({ ...body, properties: propertiesOf(MAX_USAGE_PROPERTIES + 1) })).toEqual(['properties']);
    });

    it(`allows string values of ${MAX_PROPERTY_VALUE_LENGTH} characters, not one more`, () => {
      const longest = 'x'.repeat(MAX_PROPERTY_VALUE_LENGTH);
      expect(parseUsage({ ...body, properties: { note: longest } }, wallClockNow).properties).toEqual({ note: longest });
      expect(refusedFields({ ...body, properties: { note: `${longest}x` } })).toEqual(['properties.note']);
    });

    it('takes scalars only', () => {
      expect(refusedFields({ ...body, properties: { nested: { a: 1 } } })).toEqual(['properties.nested']);
      expect(refusedFields({ ...body, properties: { list: [1, 2] } })).toEqual(['properties.list']);
    });

    it.each([['a string'], [[{ a: 1 }]], [42]])('refuses properties that are not an object: %j', (properties) => {
      expect(refusedFields({ ...body, properties })).toEqual(['properties']);
    });
  });

  it.each([[null], [undefined], ['usage'], [[body]], [42]])('refuses a body that is not an object: %j', (raw) => {
    expect(refusedFields(raw)).toEqual(['body']);
  });

  it('reports every bad field at once', () => {
    expect(refusedFields({ id: '', meterCode: '', quantity: '-2', timestamp: 'now', properties: 'none' })).toEqual([
      'id',
      'meterCode',
      'properties',
      'quantity',
      'subscriptionId',
      'timestamp',
    ]);
  });
});

describe('usageRecorded', () => {
  it('records the event for the customer behind it, with the timestamp in UTC', () => {
    const input = parseUsage({ ...body, timestamp: '2026-01-15T12:30:00.250+01:00' }, wallClockNow);
    expect(usageRecorded(input, 'cus_1')).toEqual({
      type: 'UsageRecorded',
      data: {
        id: 'evt_1',
        customerId: 'cus_1',
        subscriptionId: 'sub_1',
        meterCode: 'api_calls',
        quantity: '2.5',
        timestamp: '2026-01-15T11:30:00.250Z',
        properties: body.properties,
      },
    });
  });
});
