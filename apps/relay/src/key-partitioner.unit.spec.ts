import { randomBytes } from 'node:crypto';
import { Partitioners, PartitionerArgs, PartitionMetadata } from 'kafkajs';
import { KeyHashPartitioner, murmur2 } from './key-partitioner';

function metadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_unused, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
}

function args(key: string | null, partitions: number, partition?: number): PartitionerArgs {
  return { topic: 'accrual.usage.v1', partitionMetadata: metadata(partitions), message: { key, value: '{}', partition } };
}

describe('murmur2', () => {
  it("gives the Java client's values (Kafka's own test vectors)", () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });
});

describe('KeyHashPartitioner', () => {
  it("puts every key on the partition kafkajs's DefaultPartitioner chooses, ASCII or not, whatever the partition count", () => {
    const ours = KeyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys = ['', 'a', 'ab', 'abc', 'cus_000001', 'price-pro', 'Zürich-ünïcödé', '顧客-42', '🙂-emoji', 'x'.repeat(101)];
    for (let index = 0; index < 2000; index += 1) keys.push(randomBytes(1 + (index % 40)).toString(index % 2 === 0 ? 'hex' : 'latin1'));
    const differences: Array<[string, number]> = [];
    for (const partitions of [1, 2, 3, 6, 7, 12, 64]) {
      for (const key of keys) {
        const expected = theirs(args(key, partitions));
        // Twice: the second answer comes from what the partitioner remembered.
        if (ours(args(key, partitions)) !== expected || ours(args(key, partitions)) !== expected) differences.push([key, partitions]);
      }
    }
    expect(differences).toEqual([]);
  });

  it('keeps an explicit partition', () => {
    expect(KeyHashPartitioner()(args('cus_000001', 6, 4))).toBe(4);
  });

  it('spreads messages without a key like kafkajs does, over the partitions that exist', () => {
    const partitioner = KeyHashPartitioner();
    const chosen = new Set(Array.from({ length: 60 }, () => partitioner(args(null, 6))));
    for (const partition of chosen) expect(partition >= 0 && partition < 6).toBe(true);
    expect(chosen.size).toBeGreaterThan(1);
  });
});
