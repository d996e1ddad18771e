import fc from 'fast-check';
import { forEachBounded } from './bounded-concurrency';

/** A promise the test settles by hand, to control which call finishes when. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachBounded', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(3), { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (delays, limit) => {
        let inFlight = 0;
        let inFlightMax = 0;
        const seen: number[] = [];
        await forEachBounded([...delays.entries()], limit, async ([index, delay]) => {
          inFlight += 1;
          inFlightMax = Math.max(inFlightMax, inFlight);
          for (let tick = 0; tick < delay; tick += 1) await settle();
          seen.push(index);
          inFlight -= 1;
        });
        expect([...seen].sort((a, b) => a - b)).toEqual(delays.map((_delay, index) => index));
        expect(inFlightMax).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 50 },
    );
  });

  it('after a failure starts nothing new, waits for the calls in flight, then throws the first error', async () => {
    const calls = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachBounded([0, 1, 2, 3], 2, async (index) => {
      started.push(index);
      await calls[index].promise;
      finished.push(index);
    });
    await settle();
    expect(started).toEqual([0, 1]);
    calls[0].reject(new Error('first'));
    await settle();
    expect(started).toEqual([0, 1]);
    let settled = false;
    void run.catch(() => undefined).then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    calls[1].resolve();
    await expect(run).rejects.toThrow('first');
    expect(finished).toEqual([1]);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(forEachBounded([1], 0, async () => undefined)).rejects.toThrow(RangeError);
  });
});
