import { ICustomPartitioner, PartitionerArgs, Partitioners } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`) of a string's UTF-8 bytes, in 32-bit
 * integer arithmetic. kafkajs computes the same value with 64-bit BigInt-backed longs, keeping
 * the low 32 bits, several per cent of the relay's CPU (docs/benchmarks.md, Kafka round 3).
 */
export function murmur2(key: string): number {
  const bytes = asciiOnly(key) ? undefined : Buffer.from(key, 'utf8');
  const length = bytes === undefined ? key.length : bytes.length;
  const byteAt = bytes === undefined ? (index: number) => key.charCodeAt(index) : (index: number) => bytes[index];
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let index = 0; index < length4; index += 1) {
    const at = index * 4;
    let k = byteAt(at) | (byteAt(at + 1) << 8) | (byteAt(at + 2) << 16) | (byteAt(at + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last one to three bytes (the Java switch that falls through).
  const rest = length & 3;
  if (rest > 0) {
    const tail = length - rest;
    if (rest === 3) h ^= byteAt(tail + 2) << 16;
    if (rest >= 2) h ^= byteAt(tail + 1) << 8;
    h ^= byteAt(tail);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

function asciiOnly(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

/** Keys whose hash is remembered at once; past this the memory starts over (a bound, not a cache policy). */
const REMEMBERED_KEYS_MAX = 100_000;

/**
 * kafkajs's `DefaultPartitioner` (the Java client's: `(murmur2(key) & 0x7fffffff) % partitions`),
 * so a key lands on the partition every Kafka client would choose, computed in 32-bit
 * arithmetic and remembered per key (a customer's events come by the thousand). Messages with
 * an explicit partition or without a key go to kafkajs's own partitioner.
 */
export const KeyHashPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  const hashes = new Map<string, number>();
  return (args: PartitionerArgs) => {
    const { message, partitionMetadata } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== null && message.partition !== undefined)) return fallback(args);
    let hash = hashes.get(key);
    if (hash === undefined) {
      if (hashes.size >= REMEMBERED_KEYS_MAX) hashes.clear();
      hash = murmur2(key) & 0x7fffffff;
      hashes.set(key, hash);
    }
    return hash % partitionMetadata.length;
  };
};
