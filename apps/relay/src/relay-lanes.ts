/**
 * The relay sends on several producers at once ("lanes"), each with one request in flight. A
 * key always takes the same lane, and a lane sends its requests one after another, each only
 * once the one before is acknowledged: so one key's events reach the broker in log order, as
 * with a single producer, while the lanes' requests overlap (encoding one while the broker
 * writes another). After a failure the relay resends everything after the checkpoint; a key's
 * first copies on the topic are still in log order, and consumers drop the repeats by id.
 */

/**
 * The lane of a key: FNV-1a over its UTF-16 code units. Any stable function would do; this one
 * is cheap and spreads customer ids evenly.
 */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

/** Items split by the lane of their key, each lane's list in the order given. */
export function byLane<T extends { key: string }>(items: readonly T[], lanes: number): T[][] {
  const result: T[][] = Array.from({ length: lanes }, () => []);
  for (const item of items) result[laneOf(item.key, lanes)].push(item);
  return result;
}

/** A run of the log handed to the lanes, done when each of its requests is acknowledged. */
export interface PendingRun {
  readonly position: bigint;
  requestsLeft: number;
}

/**
 * Runs of the log in log order, acknowledged in any order (the lanes finish when they finish);
 * the checkpoint may advance only to the end of the longest prefix of runs entirely
 * acknowledged, never past an event the broker does not have.
 */
export class AcknowledgedPrefix {
  private readonly pending: PendingRun[] = [];
  private head = 0;

  /** Registers the next run of the log, ending at `position`, sent as `requests` requests. */
  add(position: bigint, requests: number): PendingRun {
    if (!Number.isInteger(requests) || requests <= 0) throw new RangeError(`a run needs at least one request, got ${requests}`);
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && position <= last.position) throw new RangeError(`runs must come in log order: ${position} after ${last.position}`);
    const run = { position, requestsLeft: requests };
    this.pending.push(run);
    return run;
  }

  /**
   * One request of `run` acknowledged. Returns the new end of the acknowledged prefix when it
   * moved, else undefined.
   */
  acknowledge(run: PendingRun): bigint | undefined {
    if (run.requestsLeft <= 0) throw new RangeError(`run ending at ${run.position} has no request left to acknowledge`);
    run.requestsLeft -= 1;
    let advancedTo: bigint | undefined;
    while (this.head < this.pending.length && this.pending[this.head].requestsLeft === 0) {
      advancedTo = this.pending[this.head].position;
      this.head += 1;
    }
    // Drop what is behind the head now and then, not at every step.
    if (this.head > 1024 || this.head === this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    return advancedTo;
  }

  /** Runs registered and not yet part of the acknowledged prefix. */
  get size(): number {
    return this.pending.length - this.head;
  }
}
