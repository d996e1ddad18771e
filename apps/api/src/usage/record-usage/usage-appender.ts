import { EventStore, NewEvent, StreamBatch } from '@accrual/event-store';

/**
 * Most events one merged append carries: a bound on one statement's work, below the store's own
 * limit of 10,000 per append.
 */
export const USAGE_EVENTS_PER_APPEND_MAX = 5_000;

/**
 * Appends of usage in flight at once. Concurrent batches share most streams, so their appends
 * queue on the same locks anyway; one at a time, what waits meanwhile goes in one bigger append,
 * which costs Postgres less per event (fewer statements, commits and stream-head updates). Since
 * the append's events travel as columns (their parsing, which a second append in flight used to
 * overlap, is much cheaper), one at a time took 15-20% less Postgres CPU per event and as much or
 * more throughput than two, in three back-to-back pairs (docs/benchmarks.md, usage, round 2).
 */
export const USAGE_APPENDS_IN_FLIGHT_MAX = 1;

/** One request's share of a merged append. */
export interface UsageAppendShare {
  /** Events of the request the store appended. */
  appended: number;
  /** Events of the request the store already held (resent usage ids). */
  duplicates: number;
  /**
   * Position of the last event the merged append wrote (at or after the request's own last
   * event, so waiting for it reads the request's writes); undefined when it wrote nothing.
   */
  position?: bigint;
}

interface Waiting {
  batches: readonly StreamBatch[];
  eventCount: number;
  resolve(share: UsageAppendShare): void;
  reject(error: unknown): void;
}

/**
 * Lanes of usage appends: a stream always goes to the same lane (by a hash of its id), each lane
 * appends on its own, one append in flight, so two lanes write disjoint sets of streams at once
 * (no stream lock shared) on two database connections.
 */
export const USAGE_APPEND_LANES = 2;

/**
 * Appends usage for requests as they come. A request's streams are split over the lanes
 * (USAGE_APPEND_LANES); in each lane, USAGE_APPENDS_IN_FLIGHT_MAX appends at a time, and requests
 * that arrive while those run wait and go together in the next one (group commit). Concurrent usage
 * batches mostly share customers' streams, so their appends would queue on the same stream locks
 * anyway; merged, they share one statement, one commit, and each stream's head is moved once
 * (docs/benchmarks.md, usage over HTTP). Each request is answered only once every lane's append of
 * its events has committed: 202 means durable. When one lane fails, the request fails; what other
 * lanes wrote of it stays written, and a retry of the request finds those events as duplicates
 * (usage is idempotent by its id).
 */
export class UsageAppender {
  private readonly lanes: UsageLane[];

  constructor(store: EventStore, lanes = USAGE_APPEND_LANES) {
    this.lanes = Array.from({ length: lanes }, () => new UsageLane(store));
  }

  /** Appends one request's events (usage ids distinct within it, as `UsageRecorder` ensures). */
  async append(batches: readonly StreamBatch[]): Promise<UsageAppendShare> {
    if (this.lanes.length === 1) return this.lanes[0].append(batches);
    const byLane: StreamBatch[][] = this.lanes.map(() => []);
    for (const batch of batches) byLane[laneOf(batch.streamId, this.lanes.length)].push(batch);
    const shares = await Promise.all(byLane.map((laneBatches, lane) => (laneBatches.length > 0 ? this.lanes[lane].append(laneBatches) : undefined)));
    let appended = 0;
    let duplicates = 0;
    let position: bigint | undefined;
    for (const share of shares) {
      if (!share) continue;
      appended += share.appended;
      duplicates += share.duplicates;
      if (share.position !== undefined && (position === undefined || share.position > position)) position = share.position;
    }
    return position === undefined ? { appended, duplicates } : { appended, duplicates, position };
  }
}

/** The lane of a stream: FNV-1a of its id, modulo the lanes. */
export function laneOf(streamId: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < streamId.length; index += 1) {
    hash ^= streamId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

/** One lane: appends its requests' events, USAGE_APPENDS_IN_FLIGHT_MAX at a time, merging what waits. */
class UsageLane {
  private readonly waiting: Waiting[] = [];
  private appendsInFlight = 0;

  constructor(private readonly store: EventStore) {}

  append(batches: readonly StreamBatch[]): Promise<UsageAppendShare> {
    const eventCount = batches.reduce((sum, batch) => sum + batch.events.length, 0);
    if (eventCount === 0) return Promise.resolve({ appended: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      this.waiting.push({ batches, eventCount, resolve, reject });
      if (this.appendsInFlight < USAGE_APPENDS_IN_FLIGHT_MAX) void this.appendWaiting();
    });
  }

  private async appendWaiting(): Promise<void> {
    this.appendsInFlight += 1;
    try {
      while (this.waiting.length > 0) {
        const group = this.nextGroup();
        try {
          const batches = group.length === 1 ? group[0].batches : mergeByStream(group.map((request) => request.batches));
          const result = await this.store.appendNewMany(batches);
          const eventCount = group.reduce((sum, request) => sum + request.eventCount, 0);
          if (result.appendedIds.length === eventCount) {
            // Every event appended (the ids are distinct within a group): no set of them to build.
            for (const request of group) request.resolve({ appended: request.eventCount, duplicates: 0, position: result.position });
          } else {
            const appended = new Set(result.appendedIds);
            for (const request of group) request.resolve(shareOf(request.batches, appended, result.position));
          }
        } catch (error) {
          for (const request of group) request.reject(error);
        }
      }
    } finally {
      this.appendsInFlight -= 1;
    }
  }

  /**
   * The waiting requests, oldest first, up to USAGE_EVENTS_PER_APPEND_MAX events (the first one
   * always). A request that repeats a usage id of an earlier one in the group waits for the next
   * group, so that within a group each id belongs to one request and the answers stay exact.
   */
  private nextGroup(): Waiting[] {
    const first = this.waiting.shift() as Waiting;
    const group = [first];
    let eventCount = first.eventCount;
    // The group's event ids, gathered only once a second request could join: a lone request
    // (usage ids distinct within it) needs none.
    let ids: Set<string> | undefined;
    for (let index = 0; index < this.waiting.length && eventCount < USAGE_EVENTS_PER_APPEND_MAX; ) {
      const request = this.waiting[index];
      if (eventCount + request.eventCount <= USAGE_EVENTS_PER_APPEND_MAX) {
        if (!ids) {
          ids = new Set();
          addEventIds(first, ids);
        }
        if (!sharesEventId(request, ids)) {
          addEventIds(request, ids);
          eventCount += request.eventCount;
          group.push(request);
          this.waiting.splice(index, 1);
          continue;
        }
      }
      index += 1;
    }
    return group;
  }
}

function addEventIds(request: Waiting, ids: Set<string>): void {
  for (const batch of request.batches) for (const event of batch.events) ids.add(event.id);
}

function sharesEventId(request: Waiting, ids: ReadonlySet<string>): boolean {
  for (const batch of request.batches) for (const event of batch.events) if (ids.has(event.id)) return true;
  return false;
}

/** One list of stream batches from several requests' lists, each stream once, requests' order kept. */
export function mergeByStream(requests: ReadonlyArray<readonly StreamBatch[]>): StreamBatch[] {
  const byStream = new Map<string, NewEvent[]>();
  for (const batches of requests) {
    for (const batch of batches) {
      const events = byStream.get(batch.streamId);
      if (events) events.push(...batch.events);
      else byStream.set(batch.streamId, [...batch.events]);
    }
  }
  return Array.from(byStream, ([streamId, events]) => ({ streamId, events }));
}

/** A request's share of a merged append: its events appended, the rest already stored. */
export function shareOf(batches: readonly StreamBatch[], appendedIds: ReadonlySet<string>, position: bigint | undefined): UsageAppendShare {
  let appended = 0;
  let duplicates = 0;
  for (const batch of batches) {
    for (const event of batch.events) {
      if (appendedIds.has(event.id)) appended += 1;
      else duplicates += 1;
    }
  }
  return appended > 0 ? { appended, duplicates, position } : { appended, duplicates };
}
