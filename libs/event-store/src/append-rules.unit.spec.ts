import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  AppendState,
  StoredEventRef,
  canonicalBatch,
  canonicalEventId,
  canonicalExpectedBatches,
  decideAppend,
  decideAppendMany,
  expectationHeldAt,
  firstRevisionFor,
  planAppendNew,
  repeatedIds,
} from './append-rules';
import { DuplicateEventIdError, WrongExpectedRevisionError } from './errors';
import { ExpectedRevision, NewEvent } from './event-store.port';

function newEvent(type = 'InvoiceIssued'): NewEvent {
  return { id: randomUUID(), type, data: {}, metadata: { actor: 'test', recordedAt: '2026-01-01T00:00:00Z' } };
}

/** The batch as already stored in `streamId` from `firstRevision` on. */
function stored(events: readonly NewEvent[], streamId: string, firstRevision: bigint): StoredEventRef[] {
  return events.map((event, index) => ({
    id: event.id,
    streamId,
    type: event.type,
    revision: firstRevision + BigInt(index),
    position: 100n + firstRevision + BigInt(index),
  }));
}

function state(overrides: Partial<AppendState> & Pick<AppendState, 'events'>): AppendState {
  return { streamId: 'invoice-1', expectedRevision: 'any', currentRevision: undefined, existing: [], ...overrides };
}

const expectedRevisions = fc.oneof(
  fc.constantFrom<ExpectedRevision>('no_stream', 'exists', 'any'),
  fc.bigInt({ min: -1n, max: 20n }),
);
const currentRevisions = fc.option(fc.bigInt({ min: 0n, max: 20n }), { nil: undefined });

describe('firstRevisionFor', () => {
  it.each<[ExpectedRevision, bigint | undefined, bigint]>([
    ['no_stream', undefined, 0n],
    ['any', undefined, 0n],
    ['any', 4n, 5n],
    ['exists', 0n, 1n],
    [3n, 3n, 4n],
  ])('expected %p on a stream at %p: first new revision %p', (expected, current, first) => {
    expect(firstRevisionFor('s', expected, current)).toBe(first);
  });

  it.each<[ExpectedRevision, bigint | undefined]>([
    ['no_stream', 0n],
    ['exists', undefined],
    [0n, undefined],
    [2n, 3n],
    [4n, 3n],
  ])('expected %p on a stream at %p: a conflict naming the actual revision', (expected, current) => {
    const conflict = () => firstRevisionFor('s', expected, current);
    expect(conflict).toThrow(WrongExpectedRevisionError);
    expect(conflict).toThrow(expect.objectContaining({ actualRevision: current ?? 'no_stream' }));
  });

  it('agrees with expectationHeldAt: an append is allowed exactly when its expectation held where it lands', () => {
    fc.assert(
      fc.property(expectedRevisions, currentRevisions, (expected, current) => {
        const landing = current === undefined ? 0n : current + 1n;
        let allowed = true;
        try {
          firstRevisionFor('s', expected, current);
        } catch {
          allowed = false;
        }
        return allowed === expectationHeldAt(expected, landing);
      }),
    );
  });
});

describe('decideAppend', () => {
  it('writes a new batch where the expected revision holds', () => {
    const events = [newEvent(), newEvent()];
    expect(decideAppend(state({ events, expectedRevision: 1n, currentRevision: 1n }))).toEqual({
      kind: 'write',
      firstRevision: 2n,
    });
  });

  it('refuses an empty batch and a batch repeating an id', () => {
    const event = newEvent();
    expect(() => decideAppend(state({ events: [] }))).toThrow(RangeError);
    expect(() => decideAppend(state({ events: [event, newEvent(), event] }))).toThrow(DuplicateEventIdError);
  });

  it('returns the original result for a retry of a stored batch, even after the stream moved on', () => {
    const events = [newEvent(), newEvent(), newEvent()];
    const existing = stored(events, 'invoice-1', 4n);
    const decision = decideAppend(state({ events, expectedRevision: 3n, currentRevision: 9n, existing }));
    expect(decision).toEqual({ kind: 'already_appended', result: { nextExpectedRevision: 6n, position: 106n } });
  });

  it.each<[ExpectedRevision, bigint, boolean]>([
    ['no_stream', 0n, true],
    ['no_stream', 1n, false],
    ['exists', 1n, true],
    ['exists', 0n, false],
    ['any', 7n, true],
    [1n, 2n, true],
    [1n, 3n, false],
    [-1n, 0n, false],
  ])('a retry with expected %p of a batch stored from revision %p is a retry: %p', (expected, firstRevision, retry) => {
    const events = [newEvent()];
    const decide = () =>
      decideAppend(state({ events, expectedRevision: expected, currentRevision: 10n, existing: stored(events, 'invoice-1', firstRevision) }));
    if (retry) expect(decide().kind).toBe('already_appended');
    else expect(decide).toThrow(DuplicateEventIdError);
  });

  it('refuses a partial overlap, ids stored in another order, elsewhere, or under another type', () => {
    const [a, b, c] = [newEvent(), newEvent(), newEvent()];
    const cases: Array<{ events: NewEvent[]; existing: StoredEventRef[] }> = [
      { events: [b, c], existing: stored([b], 'invoice-1', 1n) },
      { events: [a, b], existing: stored([b, a], 'invoice-1', 0n) },
      { events: [a], existing: stored([a], 'invoice-2', 0n) },
      { events: [a], existing: [{ ...stored([a], 'invoice-1', 0n)[0], type: 'Other' }] },
    ];
    for (const { events, existing } of cases) {
      const decide = () => decideAppend(state({ events, existing, currentRevision: 5n }));
      expect(decide).toThrow(DuplicateEventIdError);
      const storedIds = new Set(existing.map((event) => event.id));
      expect(decide).toThrow(expect.objectContaining({ eventIds: events.map((event) => event.id).filter((id) => storedIds.has(id)) }));
    }
  });

  it('never writes when any id of the batch is stored', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.nat({ max: 4 }), expectedRevisions, currentRevisions, (size, storedIndex, expected, current) => {
        const events = Array.from({ length: size }, () => newEvent());
        const existing = stored([events[storedIndex % size]], 'invoice-1', 0n);
        try {
          return decideAppend(state({ events, existing, expectedRevision: expected, currentRevision: current })).kind !== 'write';
        } catch (error) {
          return error instanceof DuplicateEventIdError;
        }
      }),
    );
  });
});

describe('decideAppendMany', () => {
  it('sorts each stream into write, already appended (a retry) or conflict, against one state', () => {
    const [fresh, retried, moved] = [[newEvent()], [newEvent(), newEvent()], [newEvent()]];
    const decision = decideAppendMany(
      [
        { streamId: 'fresh', events: fresh, expectedRevision: 'no_stream' },
        { streamId: 'retried', events: retried, expectedRevision: 0n },
        { streamId: 'moved', events: moved, expectedRevision: 3n },
      ],
      new Map([['retried', 5n], ['moved', 4n]]),
      stored(retried, 'retried', 1n),
    );
    expect(decision.toWrite).toEqual([0]);
    expect([...decision.alreadyAppended]).toEqual([[1, { nextExpectedRevision: 2n, position: 102n }]]);
    expect(decision.conflicts).toEqual([{ streamId: 'moved', expectedRevision: 3n, actualRevision: 4n }]);
  });

  it('throws DuplicateEventIdError for an id stored in another stream', () => {
    const events = [newEvent()];
    expect(() =>
      decideAppendMany([{ streamId: 'a', events, expectedRevision: 'any' }], new Map(), stored(events, 'elsewhere', 0n)),
    ).toThrow(DuplicateEventIdError);
  });
});

describe('canonicalExpectedBatches', () => {
  it('refuses a stream named twice, an empty batch and an id repeated across streams', () => {
    const event = newEvent();
    expect(() =>
      canonicalExpectedBatches([
        { streamId: 's', events: [newEvent()], expectedRevision: 'any' },
        { streamId: 's', events: [newEvent()], expectedRevision: 'any' },
      ]),
    ).toThrow(RangeError);
    expect(() => canonicalExpectedBatches([{ streamId: 's', events: [], expectedRevision: 'any' }])).toThrow(RangeError);
    expect(() =>
      canonicalExpectedBatches([
        { streamId: 'a', events: [event], expectedRevision: 'any' },
        { streamId: 'b', events: [{ ...event, id: event.id.toUpperCase() }], expectedRevision: 'any' },
      ]),
    ).toThrow(DuplicateEventIdError);
  });
});

describe('planAppendNew', () => {
  it('keeps new ids in order and reports stored ids and repeats as duplicates', () => {
    const [a, b, c] = [newEvent(), newEvent(), newEvent()];
    expect(planAppendNew([b, c, c, a], new Set([a.id, b.id]))).toEqual({ toAppend: [c], duplicateIds: [b.id, c.id, a.id] });
  });

  it('splits every batch: appended ids are unique and unstored, and nothing is lost', () => {
    const pool = Array.from({ length: 6 }, () => newEvent());
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { maxLength: 20 }), fc.subarray(pool.map((event) => event.id)), (picks, storedIds) => {
        const batch = picks.map((index) => pool[index]);
        const storedSet = new Set(storedIds);
        const plan = planAppendNew(batch, storedSet);
        const appended = plan.toAppend.map((event) => event.id);
        return (
          new Set(appended).size === appended.length &&
          appended.every((id) => !storedSet.has(id)) &&
          appended.length + plan.duplicateIds.length === batch.length
        );
      }),
    );
  });
});

describe('event ids and batches', () => {
  it('canonicalises ids to lower case and refuses non-UUIDs', () => {
    expect(canonicalEventId('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(() => canonicalEventId('not-a-uuid')).toThrow(RangeError);
  });

  it('refuses an empty stream id, an empty type and an oversized batch', () => {
    expect(() => canonicalBatch('', [newEvent()])).toThrow(RangeError);
    expect(() => canonicalBatch('s', [newEvent('')])).toThrow(RangeError);
    expect(() => canonicalBatch('s', Array.from({ length: 10_001 }, () => newEvent()))).toThrow(RangeError);
  });

  it('reports each repeated id once', () => {
    expect(repeatedIds(['a', 'b', 'a', 'a', 'c', 'b'])).toEqual(['a', 'b']);
  });
});
