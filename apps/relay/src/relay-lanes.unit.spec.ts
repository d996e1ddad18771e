import { AcknowledgedPrefix, byLane, laneOf } from './relay-lanes';

describe('laneOf', () => {
  it('gives a key always the same lane, within range, spreading keys over every lane', () => {
    const keys = Array.from({ length: 3000 }, (_unused, index) => `cus_${index.toString().padStart(6, '0')}`);
    const counts = [0, 0, 0];
    for (const key of keys) {
      const lane = laneOf(key, 3);
      expect(laneOf(key, 3)).toBe(lane);
      counts[lane] += 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(800);
    expect(laneOf('anything', 1)).toBe(0);
  });
});

describe('byLane', () => {
  it("keeps each lane's items in the order given and loses none", () => {
    const items = Array.from({ length: 500 }, (_unused, index) => ({ key: `k${index % 37}`, index }));
    const lanes = byLane(items, 4);
    expect(lanes.flat().map((item) => item.index).sort((a, b) => a - b)).toEqual(items.map((item) => item.index));
    for (const [lane, laneItems] of lanes.entries()) {
      for (const item of laneItems) expect(laneOf(item.key, 4)).toBe(lane);
      const indexes = laneItems.map((item) => item.index);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
  });
});

describe('AcknowledgedPrefix', () => {
  it('moves only over runs whose every request is acknowledged, in log order', () => {
    const prefix = new AcknowledgedPrefix();
    const first = prefix.add(10n, 2);
    const second = prefix.add(20n, 1);
    const third = prefix.add(30n, 2);
    expect(prefix.acknowledge(second)).toBeUndefined();
    expect(prefix.acknowledge(third)).toBeUndefined();
    expect(prefix.acknowledge(first)).toBeUndefined();
    // The first run done: the second was already, so the prefix reaches its end at once.
    expect(prefix.acknowledge(first)).toBe(20n);
    expect(prefix.size).toBe(1);
    expect(prefix.acknowledge(third)).toBe(30n);
    expect(prefix.size).toBe(0);
  });

  it('refuses runs out of log order, runs without requests and acknowledgements beyond the requests', () => {
    const prefix = new AcknowledgedPrefix();
    const run = prefix.add(10n, 1);
    expect(() => prefix.add(10n, 1)).toThrow(RangeError);
    expect(() => prefix.add(11n, 0)).toThrow(RangeError);
    expect(prefix.acknowledge(run)).toBe(10n);
    expect(() => prefix.acknowledge(run)).toThrow(RangeError);
  });

  it('agrees with a plain model over many runs acknowledged in a shuffled order', () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % below;
    };
    const prefix = new AcknowledgedPrefix();
    const runs = Array.from({ length: 3000 }, (_unused, index) => prefix.add(BigInt((index + 1) * 10), 1 + random(3)));
    const requests = runs.flatMap((run, index) => Array.from({ length: run.requestsLeft }, () => index));
    for (let index = requests.length - 1; index > 0; index -= 1) {
      const other = random(index + 1);
      [requests[index], requests[other]] = [requests[other], requests[index]];
    }
    const left = runs.map((run) => run.requestsLeft);
    let expectedEnd = 0;
    let reported = 0n;
    for (const index of requests) {
      left[index] -= 1;
      while (expectedEnd < left.length && left[expectedEnd] === 0) expectedEnd += 1;
      reported = prefix.acknowledge(runs[index]) ?? reported;
      expect(reported).toBe(BigInt(expectedEnd * 10));
    }
    expect(reported).toBe(30_000n);
    expect(prefix.size).toBe(0);
  });
});
