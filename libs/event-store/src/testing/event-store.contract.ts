import { randomUUID } from 'node:crypto';
import { DuplicateEventIdError, IntegrityNotSupportedError, WrongExpectedRevisionError, WrongExpectedRevisionsError } from '../errors';
import {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
} from '../event-store.port';

/**
 * The one contract every event-store adapter must pass. The spec that runs it
 * (`event-store.contract.int.spec.ts`) calls `defineEventStoreContract` once per adapter.
 * Tests share one store per adapter and write to streams of their own; tests in a file run one
 * after another, so global-log tests read from the head position they found at their start.
 */

/** An append whose transaction stays open until `commit()`: the late committer of the gap case. */
export interface LateAppend {
  /** The position the open append was given (below anything appended after it). */
  readonly result: AppendResult;
  commit(): Promise<void>;
}

export interface ContractSubject {
  store: EventStore;
  /** Starts an append on a new stream and keeps its transaction open. */
  beginLateAppend?: (streamId: string, events: readonly NewEvent[]) => Promise<LateAppend>;
  close(): Promise<void>;
}

export interface EventStoreContractFactory {
  /** Shown in test names. */
  name: string;
  open(): Promise<ContractSubject>;
  /** Why the gap case cannot be staged on this adapter when it has no `beginLateAppend`. */
  lateAppendUnavailableReason?: string;
  /**
   * Whether a stored id is refused wherever it is reused: in another stream, or in a later append
   * to its own stream at the current revision (Postgres: yes; EventStoreDB checks ids only for a
   * retry at an older expected revision).
   */
  refusesReusedIds: boolean;
  /** Whether `appendNew` tells duplicates apart (Postgres) or reports every id appended (EventStoreDB). */
  appendNewReportsDuplicates: boolean;
  /** Events in the volume test; 100,000 unless the adapter says otherwise. */
  volumeEventCount?: number;
  /** Whether `appendNewMany` is one transaction (Postgres) or a loop over streams (EventStoreDB). */
  appendNewManyAtomic: boolean;
  /** Whether events carry a hash chain that `verifyIntegrity` checks (Postgres) or not (EventStoreDB). */
  keepsHashChain: boolean;
  /** Whether the store has the lighter `readAllForReplay` (Postgres) or replays use `readAll` (EventStoreDB). */
  readsForReplay: boolean;
}

interface Context {
  factory: EventStoreContractFactory;
  subject(): ContractSubject;
  store(): EventStore;
}

export function defineEventStoreContract(factory: EventStoreContractFactory): void {
  let subject: ContractSubject | undefined;
  const context: Context = {
    factory,
    subject: () => {
      if (!subject) throw new Error(`${factory.name}: store not open`);
      return subject;
    },
    store: () => context.subject().store,
  };

  beforeAll(async () => {
    subject = await factory.open();
  });
  afterAll(async () => {
    await subject?.close();
  });

  describe('append and read', () => defineAppendAndReadTests(context));
  describe('expected revision', () => defineExpectedRevisionTests(context));
  describe('idempotent retries', () => defineIdempotencyTests(context));
  describe('concurrent writers', () => defineConcurrencyTests(context));
  describe('appendNew', () => defineAppendNewTests(context));
  describe('appendNewMany', () => defineAppendNewManyTests(context));
  describe('appendMany', () => defineAppendManyTests(context));
  describe('tamper evidence', () => defineHashChainTests(context));
  describe('global order', () => defineGlobalOrderTests(context));
  describe('subscriptions', () => defineSubscriptionTests(context));
  describe('volume', () => defineVolumeTests(context));
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function newEvent(type = 'TestHappened', data: NewEvent['data'] = { value: 1 }): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { actor: 'contract-test', correlationId: randomUUID(), recordedAt: new Date().toISOString() },
  };
}

function newEvents(count: number, type = 'TestHappened'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => newEvent(type, { index }));
}

function streamName(label: string): string {
  return `contract-${label}-${randomUUID()}`;
}

/** A test that does not apply to an adapter shows as skipped, never as a silent pass. */
function itIf(condition: boolean, name: string, test: () => Promise<void>, timeoutMs?: number): void {
  (condition ? it : it.skip)(name, test, timeoutMs);
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Reads the whole log after `after` in pages, keeping only events of the given streams. */
async function readAllOf(
  store: EventStore,
  after: bigint,
  streams: ReadonlySet<string>,
  pageSize = 1_000,
): Promise<RecordedEvent[]> {
  const collected: RecordedEvent[] = [];
  let checkpoint = after;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, maxCount: pageSize });
    if (page.length === 0) return collected;
    collected.push(...page.filter((event) => streams.has(event.streamId)));
    checkpoint = page[page.length - 1].position;
  }
}

/**
 * Readers may lag (on Postgres, behind any transaction still open anywhere on the server) but
 * never skip: before reading the log back, wait until a reader sees the event at `position`.
 * (The head counts committed events at once; visibility to readers may come a moment later.)
 */
async function caughtUpTo(store: EventStore, position: bigint, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [visible] = await store.readAll({ after: position - 1n, maxCount: 1 });
    if (visible !== undefined && visible.position >= position) return;
    if (Date.now() > deadline) throw new Error(`readers did not reach ${position}`);
    await sleep(20);
  }
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function expectStrictlyIncreasing(positions: readonly bigint[]): void {
  for (let index = 1; index < positions.length; index++) {
    if (positions[index] <= positions[index - 1]) {
      throw new Error(`position ${positions[index]} at index ${index} does not follow ${positions[index - 1]}`);
    }
  }
}

/** Collects what a subscription delivers, for the given streams only. */
function collector(streams: ReadonlySet<string>): {
  events: RecordedEvent[];
  batchSizes: number[];
  handler: (batch: RecordedEvent[]) => Promise<void>;
} {
  const events: RecordedEvent[] = [];
  const batchSizes: number[] = [];
  return {
    events,
    batchSizes,
    handler: async (batch) => {
      batchSizes.push(batch.length);
      events.push(...batch.filter((event) => streams.has(event.streamId)));
    },
  };
}

// ---------------------------------------------------------------------------------------------

function defineAppendAndReadTests(context: Context): void {
  it('appends a batch and reads it back, data and metadata apart', async () => {
    const store = context.store();
    const stream = streamName('read');
    const events = [newEvent('InvoiceIssued', { amount: '10.00', lines: [1, 2] }), newEvent('InvoicePaid', { amount: '10.00' })];

    const result = await store.append(stream, events, { expectedRevision: 'no_stream' });

    expect(result.nextExpectedRevision).toBe(1n);
    const read = await store.readStream(stream);
    expect(read.map((event) => event.id)).toEqual(events.map((event) => event.id));
    expect(read.map((event) => event.revision)).toEqual([0n, 1n]);
    expect(read.map((event) => event.type)).toEqual(['InvoiceIssued', 'InvoicePaid']);
    expect(read.map((event) => event.data)).toEqual(events.map((event) => event.data));
    expect(read.map((event) => event.metadata)).toEqual(events.map((event) => event.metadata));
    expect(read.every((event) => event.streamId === stream)).toBe(true);
    expect(read[1].position).toBe(result.position);
    expectStrictlyIncreasing(read.map((event) => event.position));
  });

  it('reads a missing stream as empty', async () => {
    await expect(context.store().readStream(streamName('missing'))).resolves.toEqual([]);
  });

  it('reads a stream from a revision, at most maxCount events', async () => {
    const store = context.store();
    const stream = streamName('window');
    const events = newEvents(6);
    await store.append(stream, events, { expectedRevision: 'no_stream' });

    const window = await store.readStream(stream, { fromRevision: 2n, maxCount: 3 });

    expect(window.map((event) => event.revision)).toEqual([2n, 3n, 4n]);
    expect(window.map((event) => event.id)).toEqual(events.slice(2, 5).map((event) => event.id));
  });

  it('moves the head position to the last append', async () => {
    const store = context.store();
    const before = await store.headPosition();
    const result = await store.append(streamName('head'), [newEvent()], { expectedRevision: 'no_stream' });
    expect(result.position).toBeGreaterThan(before);
    await caughtUpTo(store, result.position);
  });
}

function defineExpectedRevisionTests(context: Context): void {
  async function expectConflict(stream: string, expected: ExpectedRevision, actual: bigint | 'no_stream'): Promise<void> {
    const error = await rejectionOf(context.store().append(stream, [newEvent()], { expectedRevision: expected }));
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect((error as WrongExpectedRevisionError).streamId).toBe(stream);
    expect((error as WrongExpectedRevisionError).actualRevision).toBe(actual);
  }

  it("'no_stream' creates a stream and conflicts once it exists", async () => {
    const stream = streamName('no-stream');
    await context.store().append(stream, newEvents(2), { expectedRevision: 'no_stream' });
    await expectConflict(stream, 'no_stream', 1n);
  });

  it("'exists' conflicts on a missing stream and appends to an existing one", async () => {
    const store = context.store();
    const stream = streamName('exists');
    await expectConflict(stream, 'exists', 'no_stream');
    await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });
    const result = await store.append(stream, [newEvent()], { expectedRevision: 'exists' });
    expect(result.nextExpectedRevision).toBe(1n);
  });

  it("'any' appends whether or not the stream exists", async () => {
    const store = context.store();
    const stream = streamName('any');
    expect((await store.append(stream, [newEvent()], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
    expect((await store.append(stream, newEvents(2), { expectedRevision: 'any' })).nextExpectedRevision).toBe(2n);
  });

  it('a revision number appends only at exactly that revision', async () => {
    const store = context.store();
    const stream = streamName('exact');
    await expectConflict(stream, 0n, 'no_stream');
    const first = await store.append(stream, newEvents(3), { expectedRevision: 'no_stream' });
    await expectConflict(stream, 1n, 2n);
    await expectConflict(stream, 3n, 2n);
    const second = await store.append(stream, [newEvent()], { expectedRevision: first.nextExpectedRevision });
    expect(second.nextExpectedRevision).toBe(3n);
    expect(second.position).toBeGreaterThan(first.position);
  });

  it('a refused append writes nothing, atomically', async () => {
    const store = context.store();
    const stream = streamName('atomic');
    await store.append(stream, newEvents(2), { expectedRevision: 'no_stream' });
    await expectConflict(stream, 0n, 1n);
    const repeated = newEvent();
    await expect(store.append(stream, [newEvent(), repeated, repeated], { expectedRevision: 1n })).rejects.toBeInstanceOf(
      DuplicateEventIdError,
    );
    expect(await store.readStream(stream)).toHaveLength(2);
  });
}

function defineIdempotencyTests(context: Context): void {
  it('a retry with the same ids at the same revision returns the original result and writes nothing', async () => {
    const store = context.store();
    const stream = streamName('retry');
    const head = await store.headPosition();
    const events = newEvents(3);
    const original = await store.append(stream, events, { expectedRevision: 'no_stream' });

    const retry = await store.append(stream, events, { expectedRevision: 'no_stream' });

    expect(retry).toEqual(original);
    await caughtUpTo(store, original.position);
    expect(await store.readStream(stream)).toHaveLength(3);
    expect(await readAllOf(store, head, new Set([stream]))).toHaveLength(3);
  });

  it('a retry at a revision number succeeds even after the stream moved on', async () => {
    const store = context.store();
    const stream = streamName('retry-later');
    await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });
    const events = newEvents(2);
    const original = await store.append(stream, events, { expectedRevision: 0n });
    await store.append(stream, [newEvent()], { expectedRevision: original.nextExpectedRevision });

    await expect(store.append(stream, events, { expectedRevision: 0n })).resolves.toEqual(original);
    expect(await store.readStream(stream)).toHaveLength(4);
  });

  it("a retry with 'any' returns the original result when all ids are there in order", async () => {
    const store = context.store();
    const stream = streamName('retry-any');
    const events = newEvents(2);
    const original = await store.append(stream, events, { expectedRevision: 'any' });
    await expect(store.append(stream, events, { expectedRevision: 'any' })).resolves.toEqual(original);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  itIf(context.factory.refusesReusedIds, 'a partial overlap with stored ids is refused', async () => {
    const store = context.store();
    const stream = streamName('overlap');
    const events = newEvents(2);
    await store.append(stream, events, { expectedRevision: 'no_stream' });

    const error = await rejectionOf(store.append(stream, [events[1], newEvent()], { expectedRevision: 1n }));

    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  itIf(context.factory.refusesReusedIds, 'an id already used in another stream is refused', async () => {
    const store = context.store();
    const taken = newEvent();
    await store.append(streamName('first-owner'), [taken], { expectedRevision: 'no_stream' });
    const other = streamName('second-owner');

    const error = await rejectionOf(store.append(other, [taken], { expectedRevision: 'no_stream' }));

    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect((error as DuplicateEventIdError).eventIds).toEqual([taken.id]);
    expect(await store.readStream(other)).toEqual([]);
  });
}

function defineConcurrencyTests(context: Context): void {
  const writers = 50;

  it(`${writers} writers at one expected revision: exactly one wins, the others conflict`, async () => {
    const store = context.store();
    const stream = streamName('race');
    const start = await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });

    const outcomes = await Promise.allSettled(
      Array.from({ length: writers }, () =>
        store.append(stream, [newEvent()], { expectedRevision: start.nextExpectedRevision }),
      ),
    );

    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.every((outcome) => outcome.reason instanceof WrongExpectedRevisionError)).toBe(true);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it(`${writers} writers retrying on conflict all land, on contiguous revisions`, async () => {
    const store = context.store();
    const stream = streamName('retry-race');
    await store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });
    const events = newEvents(writers);

    const attempts = await Promise.all(events.map((event) => appendWithRetries(store, stream, event, 0n)));

    const read = await store.readStream(stream);
    expect(read.map((event) => event.revision)).toEqual(Array.from({ length: writers + 1 }, (_, index) => BigInt(index)));
    expect(new Set(read.slice(1).map((event) => event.id))).toEqual(new Set(events.map((event) => event.id)));
    expectStrictlyIncreasing(read.map((event) => event.position));
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });
}

/** Appends one event, re-reading the revision after each conflict (bounded); returns the attempts. */
async function appendWithRetries(store: EventStore, stream: string, event: NewEvent, expected: bigint): Promise<number> {
  let expectedRevision: ExpectedRevision = expected;
  for (let attempt = 1; attempt <= 500; attempt++) {
    try {
      await store.append(stream, [event], { expectedRevision });
      return attempt;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      expectedRevision = error.actualRevision === 'no_stream' ? 'no_stream' : error.actualRevision;
    }
  }
  throw new Error(`event ${event.id}: no success after 500 attempts`);
}

function defineAppendNewTests(context: Context): void {
  const reportsDuplicates = context.factory.appendNewReportsDuplicates;

  it('appends new ids on contiguous revisions', async () => {
    const store = context.store();
    const stream = streamName('usage-new');
    const events = newEvents(3, 'UsageRecorded');
    await store.appendNew(stream, events.slice(0, 1));

    const result = await store.appendNew(stream, events.slice(1));

    expect(result).toMatchObject({ appendedIds: events.slice(1).map((event) => event.id), duplicateIds: [] });
    const read = await store.readStream(stream);
    expect(read.map((event) => event.id)).toEqual(events.map((event) => event.id));
    expect(read.map((event) => event.revision)).toEqual([0n, 1n, 2n]);
    expect(result.position).toBe(read[2].position);
  });

  itIf(reportsDuplicates, 'skips stored ids and ids repeated in the batch', async () => {
    const store = context.store();
    const stream = streamName('usage');
    const [a, b, c] = newEvents(3, 'UsageRecorded');
    await store.appendNew(stream, [a, b]);

    const second = await store.appendNew(stream, [b, c, c, a]);

    expect(second.appendedIds).toEqual([c.id]);
    expect(second.duplicateIds).toEqual([b.id, c.id, a.id]);
    const read = await store.readStream(stream);
    expect(read.map((event) => event.id)).toEqual([a.id, b.id, c.id]);
    expect(read.map((event) => event.revision)).toEqual([0n, 1n, 2n]);
    expect(second.position).toBe(read[2].position);
  });

  itIf(reportsDuplicates, 'appends nothing and reports no position when every id is stored', async () => {
    const store = context.store();
    const stream = streamName('usage-all-stored');
    const events = newEvents(2, 'UsageRecorded');
    await store.appendNew(stream, events);
    await expect(store.appendNew(stream, events)).resolves.toEqual({
      appendedIds: [],
      duplicateIds: events.map((event) => event.id),
    });
  });

  itIf(reportsDuplicates, 'concurrent callers with overlapping ids store each id once, revisions contiguous', async () => {
    const store = context.store();
    const stream = streamName('usage-race');
    const offered = newEvents(40, 'UsageRecorded');
    const batches = Array.from({ length: 20 }, (_, index) =>
      Array.from({ length: 10 }, (__, offset) => offered[(index * 7 + offset * 3) % offered.length]),
    );

    const results = await Promise.all(batches.map((batch) => store.appendNew(stream, batch)));

    const appended = results.flatMap((result) => result.appendedIds);
    const offeredIds = new Set(batches.flat().map((event) => event.id));
    expect(new Set(appended).size).toBe(appended.length);
    expect(new Set(appended)).toEqual(offeredIds);
    const read = await store.readStream(stream);
    expect(read).toHaveLength(offeredIds.size);
    expect(read.map((event) => event.revision)).toEqual(read.map((_, index) => BigInt(index)));
  });

  itIf(context.factory.refusesReusedIds, 'concurrent callers on different streams store a shared id once', async () => {
    const store = context.store();
    const shared = newEvents(30, 'UsageRecorded');
    const streams = Array.from({ length: 6 }, () => streamName('usage-shared'));

    const results = await Promise.all(streams.map((stream) => store.appendNew(stream, shared)));

    const appended = results.flatMap((result) => result.appendedIds);
    expect(appended.sort()).toEqual(shared.map((event) => event.id).sort());
    for (const stream of streams) {
      const read = await store.readStream(stream);
      expect(read.map((event) => event.revision)).toEqual(read.map((_, index) => BigInt(index)));
    }
  });
}

function defineAppendNewManyTests(context: Context): void {
  const reportsDuplicates = context.factory.appendNewReportsDuplicates;

  it('appends to several streams in one call, each on contiguous revisions', async () => {
    const store = context.store();
    const [first, second] = [streamName('many-a'), streamName('many-b')];
    await store.appendNew(first, newEvents(2, 'UsageRecorded'));
    const forFirst = newEvents(3, 'UsageRecorded');
    const forSecond = newEvents(2, 'UsageRecorded');

    const result = await store.appendNewMany([
      { streamId: first, events: forFirst },
      { streamId: second, events: forSecond },
      { streamId: streamName('many-empty'), events: [] },
    ]);

    expect(result.appendedIds).toEqual([...forFirst, ...forSecond].map((event) => event.id));
    expect(result.duplicateIds).toEqual([]);
    const readFirst = await store.readStream(first);
    const readSecond = await store.readStream(second);
    expect(readFirst.slice(2).map((event) => event.id)).toEqual(forFirst.map((event) => event.id));
    expect(readFirst.map((event) => event.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(readSecond.map((event) => event.revision)).toEqual([0n, 1n]);
    expectStrictlyIncreasing(readFirst.map((event) => event.position));
    const positions = [...readFirst.slice(2), ...readSecond].map((event) => event.position);
    expect(result.position).toBe(positions.reduce((max, position) => (position > max ? position : max)));
    await expect(store.appendNewMany([])).resolves.toEqual({ appendedIds: [], duplicateIds: [] });
  });

  itIf(reportsDuplicates, 'skips ids stored anywhere and ids repeated within the call, across streams', async () => {
    const store = context.store();
    const [first, second, elsewhere] = [streamName('many-dup-a'), streamName('many-dup-b'), streamName('many-dup-c')];
    const [stored, fresh, repeatedInStream, repeatedAcross] = newEvents(4, 'UsageRecorded');
    await store.appendNew(elsewhere, [stored]);

    const result = await store.appendNewMany([
      { streamId: first, events: [stored, fresh, repeatedInStream, repeatedInStream, repeatedAcross] },
      { streamId: second, events: [repeatedAcross, stored] },
    ]);

    expect(result.appendedIds).toEqual([fresh.id, repeatedInStream.id, repeatedAcross.id]);
    expect(result.duplicateIds).toEqual([stored.id, repeatedInStream.id, repeatedAcross.id, stored.id]);
    expect((await store.readStream(first)).map((event) => [event.id, event.revision])).toEqual([
      [fresh.id, 0n],
      [repeatedInStream.id, 1n],
      [repeatedAcross.id, 2n],
    ]);
    expect(await store.readStream(second)).toEqual([]);
    expect((await store.readStream(elsewhere)).map((event) => event.id)).toEqual([stored.id]);
    await expect(store.appendNewMany([{ streamId: first, events: [fresh] }])).resolves.toEqual({
      appendedIds: [],
      duplicateIds: [fresh.id],
    });
  });

  itIf(context.factory.appendNewManyAtomic, 'is atomic across streams: a failure in one stream writes nothing anywhere', async () => {
    const store = context.store();
    const [first, second] = [streamName('many-atomic-a'), streamName('many-atomic-b')];
    // Postgres refuses a NUL character in jsonb, so the call fails inside the database, after the
    // first stream's events are already part of the statement.
    const unstorable = newEvent('UsageRecorded', { note: 'nul \u0000 here' });

    await expect(
      store.appendNewMany([
        { streamId: first, events: newEvents(3, 'UsageRecorded') },
        { streamId: second, events: [newEvent('UsageRecorded'), unstorable] },
      ]),
    ).rejects.toThrow();

    expect(await store.readStream(first)).toEqual([]);
    expect(await store.readStream(second)).toEqual([]);
  });

  itIf(reportsDuplicates, '24 concurrent callers over overlapping streams: each id once, revisions contiguous, readers skip nothing', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const streams = Array.from({ length: 10 }, () => streamName('many-race'));
    const offered = newEvents(120, 'UsageRecorded');
    const calls = Array.from({ length: 24 }, (_, call) =>
      streams
        .filter((_stream, index) => (index + call) % 3 !== 0)
        .map((streamId, index) => ({
          streamId,
          events: Array.from({ length: 6 }, (__, offset) => offered[(call * 11 + index * 5 + offset * 7) % offered.length]),
        })),
    );
    const wanted = new Set(streams);
    const seen: RecordedEvent[] = [];
    let reading = true;
    const reader = (async () => {
      let checkpoint = head;
      while (reading) {
        const page = await store.readAll({ after: checkpoint, maxCount: 50 });
        seen.push(...page.filter((event) => wanted.has(event.streamId)));
        if (page.length > 0) checkpoint = page[page.length - 1].position;
        else await sleep(5);
      }
      return checkpoint;
    })();

    const results = await Promise.all(calls.map((batches) => store.appendNewMany(batches)));
    const last = results.reduce((max, result) => (result.position !== undefined && result.position > max ? result.position : max), 0n);
    await caughtUpTo(store, last);
    reading = false;
    const checkpoint = await reader;
    seen.push(...(await readAllOf(store, checkpoint, wanted)));

    const appended = results.flatMap((result) => result.appendedIds);
    expect(new Set(appended).size).toBe(appended.length);
    expect(new Set(appended)).toEqual(new Set(calls.flat().flatMap((batch) => batch.events.map((event) => event.id))));
    const stored = (await Promise.all(streams.map((stream) => store.readStream(stream)))).flat();
    expect(stored).toHaveLength(appended.length);
    for (const stream of streams) {
      const read = stored.filter((event) => event.streamId === stream);
      expect(read.map((event) => event.revision)).toEqual(read.map((_, index) => BigInt(index)));
      expectStrictlyIncreasing(read.map((event) => event.position));
    }
    // A reader that checkpointed while the callers were appending saw every event, in log order.
    expectStrictlyIncreasing(seen.map((event) => event.position));
    expect(seen.map((event) => event.id).sort()).toEqual(stored.map((event) => event.id).sort());
  }, 60_000);
}

function defineAppendManyTests(context: Context): void {
  const atomic = context.factory.appendNewManyAtomic;

  it('appends to several streams, each at its expected revision, answering what append would', async () => {
    const store = context.store();
    const [existing, fresh] = [streamName('am-existing'), streamName('am-fresh')];
    await store.append(existing, newEvents(2), { expectedRevision: 'no_stream' });
    const [forExisting, forFresh] = [newEvents(3), newEvents(1)];

    const result = await store.appendMany([
      { streamId: existing, events: forExisting, expectedRevision: 1n },
      { streamId: fresh, events: forFresh, expectedRevision: 'no_stream' },
    ]);

    const [readExisting, readFresh] = [await store.readStream(existing), await store.readStream(fresh)];
    expect(readExisting.map((event) => [event.id, event.revision])).toEqual([
      ...readExisting.slice(0, 2).map((event) => [event.id, event.revision]),
      ...forExisting.map((event, index) => [event.id, BigInt(index + 2)]),
    ]);
    expect(readFresh.map((event) => [event.id, event.revision])).toEqual([[forFresh[0].id, 0n]]);
    expect(result.results).toEqual([
      { nextExpectedRevision: 4n, position: readExisting[4].position },
      { nextExpectedRevision: 0n, position: readFresh[0].position },
    ]);
    expect(result.appendedCount).toBe(4);
    await expect(store.appendMany([])).resolves.toEqual({ results: [], appendedCount: 0 });
  });

  itIf(atomic, 'all or nothing: a failed expectation anywhere writes nothing and names every failing stream', async () => {
    const store = context.store();
    const [good, moved, missing] = [streamName('am-good'), streamName('am-moved'), streamName('am-missing')];
    await store.append(good, [newEvent()], { expectedRevision: 'no_stream' });
    await store.append(moved, newEvents(2), { expectedRevision: 'no_stream' });

    const error = await rejectionOf(
      store.appendMany([
        { streamId: good, events: newEvents(2), expectedRevision: 0n },
        { streamId: moved, events: [newEvent()], expectedRevision: 0n },
        { streamId: missing, events: [newEvent()], expectedRevision: 'exists' },
      ]),
    );

    expect(error).toBeInstanceOf(WrongExpectedRevisionsError);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect((error as WrongExpectedRevisionsError).conflicts).toEqual([
      { streamId: moved, expectedRevision: 0n, actualRevision: 1n },
      { streamId: missing, expectedRevision: 'exists', actualRevision: 'no_stream' },
    ]);
    expect(await store.readStream(good)).toHaveLength(1);
    expect(await store.readStream(moved)).toHaveLength(2);
    expect(await store.readStream(missing)).toEqual([]);
  });

  itIf(atomic, 'all or nothing: an id stored elsewhere is a DuplicateEventIdError and writes nothing', async () => {
    const store = context.store();
    const [first, second, elsewhere] = [streamName('am-dup-a'), streamName('am-dup-b'), streamName('am-dup-c')];
    const stored = newEvent();
    await store.append(elsewhere, [stored], { expectedRevision: 'no_stream' });

    await expect(
      store.appendMany([
        { streamId: first, events: newEvents(2), expectedRevision: 'no_stream' },
        { streamId: second, events: [stored], expectedRevision: 'no_stream' },
      ]),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(first)).toEqual([]);
    expect(await store.readStream(second)).toEqual([]);
  });

  it('a retry of an appended call answers the original results and writes nothing, even after the streams moved on', async () => {
    const store = context.store();
    const [first, second] = [streamName('am-retry-a'), streamName('am-retry-b')];
    await store.append(first, [newEvent()], { expectedRevision: 'no_stream' });
    const call = [
      { streamId: first, events: newEvents(2), expectedRevision: 0n },
      { streamId: second, events: newEvents(1), expectedRevision: 'no_stream' as const },
    ];
    const original = await store.appendMany(call);
    await store.append(first, [newEvent()], { expectedRevision: 2n });

    const retry = await store.appendMany(call);

    expect(retry.results).toEqual(original.results);
    if (atomic) expect(retry.appendedCount).toBe(0);
    expect(await store.readStream(first)).toHaveLength(4);
    expect(await store.readStream(second)).toHaveLength(1);
  });

  itIf(atomic, 'a retry of a call partly appended already writes the rest', async () => {
    const store = context.store();
    const [done, todo] = [streamName('am-part-done'), streamName('am-part-todo')];
    const call = [
      { streamId: done, events: newEvents(2), expectedRevision: 'no_stream' as const },
      { streamId: todo, events: newEvents(1), expectedRevision: 'no_stream' as const },
    ];
    const single = await store.append(done, call[0].events, { expectedRevision: 'no_stream' });

    const result = await store.appendMany(call);

    const [readTodo] = await store.readStream(todo);
    expect(result).toEqual({ results: [single, { nextExpectedRevision: 0n, position: readTodo.position }], appendedCount: 1 });
    expect(await store.readStream(done)).toHaveLength(2);
  });

  itIf(atomic, '16 writers over overlapping streams, retrying on conflict: all land on contiguous revisions, readers skip nothing', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const streams = Array.from({ length: 6 }, () => streamName('am-race'));
    const wanted = new Set(streams);
    const seen: RecordedEvent[] = [];
    let reading = true;
    const reader = (async () => {
      let checkpoint = head;
      while (reading) {
        const page = await store.readAll({ after: checkpoint, maxCount: 50 });
        seen.push(...page.filter((event) => wanted.has(event.streamId)));
        if (page.length > 0) checkpoint = page[page.length - 1].position;
        else await sleep(5);
      }
      return checkpoint;
    })();

    const writer = async (writerIndex: number): Promise<{ ids: string[]; last: bigint }> => {
      const mine = streams.filter((_stream, index) => (index + writerIndex) % 3 !== 0);
      const ids: string[] = [];
      let last = 0n;
      for (let round = 0; round < 3; round++) {
        const events = mine.map(() => newEvents(2));
        for (;;) {
          const revisions = await Promise.all(mine.map(async (stream) => (await store.readStream(stream)).at(-1)?.revision));
          try {
            const result = await store.appendMany(
              mine.map((streamId, index) => ({ streamId, events: events[index], expectedRevision: revisions[index] ?? 'no_stream' })),
            );
            for (const appended of result.results) if (appended.position > last) last = appended.position;
            break;
          } catch (error) {
            if (!(error instanceof WrongExpectedRevisionsError)) throw error;
          }
        }
        ids.push(...events.flat().map((event) => event.id));
      }
      return { ids, last };
    };
    const written = await Promise.all(Array.from({ length: 16 }, (_, index) => writer(index)));
    await caughtUpTo(store, written.reduce((max, { last }) => (last > max ? last : max), 0n));
    reading = false;
    seen.push(...(await readAllOf(store, await reader, wanted)));

    const stored = (await Promise.all(streams.map((stream) => store.readStream(stream)))).flat();
    expect(stored.map((event) => event.id).sort()).toEqual(written.flatMap(({ ids }) => ids).sort());
    for (const stream of streams) {
      const read = stored.filter((event) => event.streamId === stream);
      expect(read.map((event) => event.revision)).toEqual(read.map((_, index) => BigInt(index)));
      expectStrictlyIncreasing(read.map((event) => event.position));
    }
    expectStrictlyIncreasing(seen.map((event) => event.position));
    expect(seen.map((event) => event.id).sort()).toEqual(stored.map((event) => event.id).sort());
    if (context.factory.keepsHashChain) await expect(store.verifyIntegrity()).resolves.toMatchObject({ ok: true });
  }, 60_000);

  it('refuses a stream named twice, an empty batch and an id twice in one call, writing nothing', async () => {
    const store = context.store();
    const stream = streamName('am-shape');
    const repeated = newEvent();
    await expect(
      store.appendMany([
        { streamId: stream, events: [newEvent()], expectedRevision: 'any' },
        { streamId: stream, events: [newEvent()], expectedRevision: 'any' },
      ]),
    ).rejects.toThrow(RangeError);
    await expect(store.appendMany([{ streamId: stream, events: [], expectedRevision: 'any' }])).rejects.toThrow(RangeError);
    await expect(
      store.appendMany([
        { streamId: stream, events: [repeated], expectedRevision: 'any' },
        { streamId: streamName('am-shape-b'), events: [repeated], expectedRevision: 'any' },
      ]),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(stream)).toEqual([]);
  });
}

function defineHashChainTests(context: Context): void {
  const chained = context.factory.keepsHashChain;

  itIf(chained, 'every event carries a lowercase hex hash; readStream and readAll agree', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const stream = streamName('hashes');
    await store.append(stream, newEvents(3), { expectedRevision: 'no_stream' });
    const last = await store.appendNewMany([{ streamId: stream, events: newEvents(2, 'UsageRecorded') }]);
    await caughtUpTo(store, last.position ?? 0n);

    const read = await store.readStream(stream);
    expect(read.every((event) => /^[0-9a-f]{64}$/.test(event.hash ?? ''))).toBe(true);
    expect(new Set(read.map((event) => event.hash)).size).toBe(read.length);
    const fromLog = await readAllOf(store, head, new Set([stream]));
    expect(fromLog.map((event) => event.hash)).toEqual(read.map((event) => event.hash));
  });

  itIf(chained, 'verifyIntegrity passes on a log written through the port', async () => {
    const store = context.store();
    await store.appendNewMany([
      { streamId: streamName('verify-a'), events: newEvents(3, 'UsageRecorded') },
      { streamId: streamName('verify-b'), events: newEvents(2, 'UsageRecorded') },
    ]);
    const report = await store.verifyIntegrity();
    expect(report).toEqual({ ok: true, checked: expect.any(BigInt) });
    expect(report.checked).toBeGreaterThan(0n);
  });

  itIf(!chained, 'verifyIntegrity says plainly that it is not supported', async () => {
    await expect(context.store().verifyIntegrity()).rejects.toBeInstanceOf(IntegrityNotSupportedError);
  });
}

function defineGlobalOrderTests(context: Context): void {
  it('pages through the log in order with after and maxCount', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const stream = streamName('pages');
    const events = newEvents(25);
    await store.append(stream, events.slice(0, 10), { expectedRevision: 'no_stream' });
    const last = await store.append(stream, events.slice(10), { expectedRevision: 9n });
    await caughtUpTo(store, last.position);

    const pages: RecordedEvent[][] = [];
    let after = head;
    for (let page = await store.readAll({ after, maxCount: 10 }); page.length > 0; page = await store.readAll({ after, maxCount: 10 })) {
      expect(page.length).toBeLessThanOrEqual(10);
      pages.push(page);
      after = page[page.length - 1].position;
    }

    const read = pages.flat().filter((event) => event.streamId === stream);
    expect(read.map((event) => event.id)).toEqual(events.map((event) => event.id));
    expectStrictlyIncreasing(pages.flat().map((event) => event.position));
  });

  itIf(context.factory.readsForReplay, "readAllForReplay pages like readAll, without the hash and the metadata's tracing ids", async () => {
    const store = context.store();
    const head = await store.headPosition();
    const stream = streamName('replay-pages');
    const versioned = { ...newEvent('TestVersioned', { nested: { text: 'a "quoted" \\ value', list: [1, 2.5, null] } }) };
    versioned.metadata = { ...versioned.metadata, role: 'admin', causationId: randomUUID(), requestId: randomUUID(), schemaVersion: 2 };
    const events = [...newEvents(12), versioned, ...newEvents(12)];
    const last = await store.append(stream, events, { expectedRevision: 'no_stream' });
    await caughtUpTo(store, last.position);

    const pagesOf = async (read: (after: bigint) => Promise<RecordedEvent[]>) => {
      const pages: RecordedEvent[][] = [];
      for (let after = head, page = await read(after); page.length > 0; after = page[page.length - 1].position, page = await read(after)) {
        pages.push(page.filter((event) => event.streamId === stream));
      }
      return pages;
    };
    const full = await pagesOf((after) => store.readAll({ after, maxCount: 10 }));
    const replay = await pagesOf((after) => store.readAllForReplay!({ after, maxCount: 10 }));
    expect(replay.map((page) => page.length)).toEqual(full.map((page) => page.length));
    const expected = full.flat().map(({ hash: _hash, metadata, ...event }) => ({
      ...event,
      metadata: {
        actor: metadata.actor,
        recordedAt: metadata.recordedAt,
        ...(metadata.schemaVersion === undefined ? {} : { schemaVersion: metadata.schemaVersion }),
      },
    }));
    expect(replay.flat()).toEqual(expected);
    expect(replay.flat().map((event) => event.id)).toEqual(events.map((event) => event.id));
    expect(replay.flat()[12].metadata).toEqual({ actor: 'contract-test', recordedAt: versioned.metadata.recordedAt, schemaVersion: 2 });
    expect(replay.flat()[12].data).toEqual(versioned.data);
    expect(replay.flat().every((event) => event.hash === undefined && !('correlationId' in event.metadata))).toBe(true);
  });

  const gapCase = 'never delivers an event past an append that commits later, then delivers both in order';
  if (context.factory.lateAppendUnavailableReason) {
    it.skip(`${gapCase} (${context.factory.lateAppendUnavailableReason})`, () => undefined);
    return;
  }
  it(gapCase, async () => {
    const { store, beginLateAppend } = context.subject();
    if (!beginLateAppend) throw new Error(`${context.factory.name}: no way to stage a late commit`);
    const head = await store.headPosition();
    const lateStream = streamName('late');
    const earlyStream = streamName('early');
    const streams = new Set([lateStream, earlyStream]);
    const received = collector(streams);
    const subscription = store.subscribeToAll({ after: head, maxBatchSize: 10 }, received.handler);
    try {
      const late = await beginLateAppend(lateStream, [newEvent('LateCommitted')]);
      const early = await store.append(earlyStream, [newEvent('EarlyCommitted')], { expectedRevision: 'no_stream' });
      expect(early.position).toBeGreaterThan(late.result.position);

      await sleep(600); // longer than two poll intervals and any doorbell
      expect(received.events).toEqual([]);
      expect(await readAllOf(store, head, streams)).toEqual([]);
      if (context.factory.readsForReplay) {
        const replayed = await store.readAllForReplay!({ after: head, maxCount: 1_000 });
        expect(replayed.filter((event) => streams.has(event.streamId))).toEqual([]);
      }
      // The head counts what has committed, even while readers cannot see it yet: waiting for a
      // subscriber to pass the head waits for the late commit too.
      expect(await store.headPosition()).toBe(early.position);

      await late.commit();
      await eventually(() => received.events.length === 2, 'both events delivered');
      expect(received.events.map((event) => event.streamId)).toEqual([lateStream, earlyStream]);
      expect((await readAllOf(store, head, streams)).map((event) => event.streamId)).toEqual([lateStream, earlyStream]);
    } finally {
      await subscription.stop();
    }
  });
}

function defineSubscriptionTests(context: Context): void {
  it('delivers history then live events in bounded batches', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const stream = streamName('live');
    await store.append(stream, newEvents(12), { expectedRevision: 'no_stream' });
    const received = collector(new Set([stream]));
    const subscription = store.subscribeToAll({ after: head, maxBatchSize: 5 }, received.handler);
    try {
      await eventually(() => received.events.length === 12, 'history');
      await store.append(stream, newEvents(3), { expectedRevision: 11n });
      await eventually(() => received.events.length === 15, 'live events');
    } finally {
      await subscription.stop();
    }
    expect(received.events.map((event) => event.revision)).toEqual(received.events.map((_, index) => BigInt(index)));
    expect(Math.max(...received.batchSizes)).toBeLessThanOrEqual(5);
    await expect(subscription.done).resolves.toBeUndefined();
  });

  it('resumes from the last delivered position: no loss, no repeat', async () => {
    const store = context.store();
    const head = await store.headPosition();
    const stream = streamName('resume');
    const events = newEvents(40);
    await store.append(stream, events.slice(0, 20), { expectedRevision: 'no_stream' });

    const first = collector(new Set([stream]));
    let checkpoint = head;
    const firstSubscription = store.subscribeToAll({ after: head, maxBatchSize: 7 }, async (batch) => {
      await first.handler(batch);
      checkpoint = batch[batch.length - 1].position;
    });
    await eventually(() => first.events.length >= 14, 'a first part');
    await firstSubscription.stop();
    const delivered = first.events.length;
    await store.append(stream, events.slice(20), { expectedRevision: 19n });
    expect(first.events).toHaveLength(delivered); // nothing after stop()

    const second = collector(new Set([stream]));
    const secondSubscription = store.subscribeToAll({ after: checkpoint, maxBatchSize: 7 }, second.handler);
    try {
      await eventually(() => delivered + second.events.length >= 40, 'the rest');
      await sleep(100);
    } finally {
      await secondSubscription.stop();
    }
    const all = [...first.events, ...second.events];
    expect(all.map((event) => event.id)).toEqual(events.map((event) => event.id));
  });

  it('ends with a rejected done when the handler throws', async () => {
    const store = context.store();
    const head = await store.headPosition();
    await store.append(streamName('failing-handler'), [newEvent()], { expectedRevision: 'no_stream' });
    const subscription = store.subscribeToAll({ after: head }, async () => {
      throw new Error('handler failed');
    });
    await expect(subscription.done).rejects.toThrow('handler failed');
    await subscription.stop();
  });
}

function defineVolumeTests(context: Context): void {
  const total = context.factory.volumeEventCount ?? 100_000;
  const writers = 4;
  const batchSize = 1_000;

  it(`reads ${total} events back in order, appended in batches by ${writers} writers`, async () => {
    const store = context.store();
    const head = await store.headPosition();
    const streams = Array.from({ length: writers }, () => streamName('volume'));
    const perWriter = total / writers;

    const lastPositions = await Promise.all(
      streams.map(async (stream) => {
        let last = 0n;
        for (let written = 0; written < perWriter; written += batchSize) {
          const batch = newEvents(Math.min(batchSize, perWriter - written), 'VolumeRecorded');
          const result = await store.append(stream, batch, { expectedRevision: written === 0 ? 'no_stream' : BigInt(written - 1) });
          last = result.position;
        }
        return last;
      }),
    );
    await caughtUpTo(store, lastPositions.reduce((max, position) => (position > max ? position : max), 0n));

    const read = await readAllOf(store, head, new Set(streams), 10_000);
    expect(read).toHaveLength(total);
    expectStrictlyIncreasing(read.map((event) => event.position));
    const nextRevision = new Map(streams.map((stream) => [stream, 0n]));
    for (const event of read) {
      if (event.revision !== nextRevision.get(event.streamId)) {
        throw new Error(`${event.streamId}: revision ${event.revision} out of order`);
      }
      nextRevision.set(event.streamId, event.revision + 1n);
    }
  }, 120_000);
}
