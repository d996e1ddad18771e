import { ANY, AllStreamResolvedEvent, NO_STREAM, STREAM_EXISTS, WrongExpectedVersionError } from '@eventstore/db-client';
import { WrongExpectedRevisionError } from '../errors';
import { fromResolvedEvent, isSystemEventType, mapAppendError, toEsdbExpectedRevision, toEventData } from './mapping';

describe('EventStoreDB mapping', () => {
  it('maps each expected revision', () => {
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision(7n)).toBe(7n);
  });

  it('sends our id, type, data and metadata as a JSON event', () => {
    const metadata = { actor: 'a', recordedAt: '2026-01-01T00:00:00Z' };
    const event = toEventData({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', type: 'InvoiceIssued', data: { total: '1.00' }, metadata });
    expect(event).toMatchObject({
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      type: 'InvoiceIssued',
      contentType: 'application/json',
      data: { total: '1.00' },
      metadata,
    });
  });

  it('turns WrongExpectedVersionError into WrongExpectedRevisionError and passes other errors through', () => {
    const conflict = new WrongExpectedVersionError(undefined, { streamName: 'invoice-1', expected: 2n, current: 5n });
    const mapped = mapAppendError('invoice-1', 2n, conflict);
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: 'invoice-1', expectedRevision: 2n, actualRevision: 5n });
    const missing = new WrongExpectedVersionError(undefined, { streamName: 'invoice-2', expected: STREAM_EXISTS, current: NO_STREAM });
    expect(mapAppendError('invoice-2', 'exists', missing)).toMatchObject({ actualRevision: 'no_stream' });
    const other = new Error('unavailable');
    expect(mapAppendError('invoice-1', 'any', other)).toBe(other);
  });

  it('reads an event from $all with its commit position, data and metadata apart', () => {
    const resolved: AllStreamResolvedEvent = {
      event: {
        streamId: 'invoice-1',
        id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        isJson: true,
        revision: 3n,
        type: 'InvoicePaid',
        created: new Date(0),
        data: { total: '1.00' },
        metadata: { actor: 'a', recordedAt: '2026-01-01T00:00:00Z' },
        position: { commit: 1234n, prepare: 1234n },
      },
      commitPosition: 1234n,
    };
    expect(fromResolvedEvent(resolved)).toEqual({
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      type: 'InvoicePaid',
      streamId: 'invoice-1',
      revision: 3n,
      position: 1234n,
      data: { total: '1.00' },
      metadata: { actor: 'a', recordedAt: '2026-01-01T00:00:00Z' },
    });
  });

  it('knows system events by their $ prefix', () => {
    expect(isSystemEventType('$>')).toBe(true);
    expect(isSystemEventType('$metadata')).toBe(true);
    expect(isSystemEventType('InvoicePaid')).toBe(false);
  });
});
