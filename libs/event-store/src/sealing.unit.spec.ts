import { EventStore } from './event-store.port';
import { Seal, sealIntervalMsFrom, startPeriodicSeals } from './sealing';

describe('sealIntervalMsFrom', () => {
  it('defaults to 60 s, reads seconds, and 0 turns sealing off', () => {
    expect(sealIntervalMsFrom({})).toBe(60_000);
    expect(sealIntervalMsFrom({ ACCRUAL_SEAL_INTERVAL_SECONDS: '2.5' })).toBe(2_500);
    expect(sealIntervalMsFrom({ ACCRUAL_SEAL_INTERVAL_SECONDS: '0' })).toBe(0);
  });

  it('refuses what is not a number of seconds', () => {
    expect(() => sealIntervalMsFrom({ ACCRUAL_SEAL_INTERVAL_SECONDS: 'soon' })).toThrow(RangeError);
    expect(() => sealIntervalMsFrom({ ACCRUAL_SEAL_INTERVAL_SECONDS: '-1' })).toThrow(RangeError);
  });
});

describe('startPeriodicSeals', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A store whose seals resolve only when the test says so, to see that ticks never overlap. */
  function sealingStore(): { store: EventStore; calls: () => number; finish: () => void } {
    let calls = 0;
    let finish: () => void = () => undefined;
    const store = {
      seal: () => {
        calls++;
        return new Promise<Seal[]>((resolve) => (finish = () => resolve([])));
      },
    } as unknown as EventStore;
    return { store, calls: () => calls, finish: () => finish() };
  }

  it('seals at each interval, one seal at a time, and stops', async () => {
    const { store, calls, finish } = sealingStore();
    const seals = startPeriodicSeals(store, 1_000);
    jest.advanceTimersByTime(3_000);
    expect(calls()).toBe(1); // the first seal is still running: later ticks skip
    finish();
    await Promise.resolve();
    await Promise.resolve();
    jest.advanceTimersByTime(1_000);
    expect(calls()).toBe(2);
    finish();
    await seals.stop();
    jest.advanceTimersByTime(5_000);
    expect(calls()).toBe(2);
  });

  it('does nothing for a store that cannot seal or an interval of 0', async () => {
    const { store, calls } = sealingStore();
    const off = startPeriodicSeals(store, 0);
    const cannot = startPeriodicSeals({} as EventStore, 1_000);
    jest.advanceTimersByTime(5_000);
    expect(calls()).toBe(0);
    await off.stop();
    await cannot.stop();
  });
});
