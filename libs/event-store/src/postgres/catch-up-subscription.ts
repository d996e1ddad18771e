import { BatchHandler, RecordedEvent, Subscription } from '../event-store.port';
import { WakeUpSource } from './wake-ups';

export interface CatchUpOptions {
  /** Deliver events strictly after this position; undefined: from the start. */
  after: bigint | undefined;
  /** Largest batch read and handed over at once (already bounded by the caller). */
  maxBatchSize: number;
  /** Longest wait between reads when caught up and no doorbell rings. */
  pollIntervalMs: number;
  /** Wait between reads, for one poll interval after a doorbell, while reads come back empty. */
  readAgainAfterDoorbellMs: number;
}

export type ReadAfter = (after: bigint | undefined, maxCount: number) => Promise<RecordedEvent[]>;

/**
 * A catch-up subscription over a pollable log: read a batch after the checkpoint, hand it over,
 * advance; when a read comes back empty, wait for a doorbell or the poll interval. The reader
 * (`readAll`) never returns an event past one that may still commit, so the checkpoint never
 * skips anything. `stop()` waits for the batch in hand, so a handler must not await it.
 */
export class CatchUpSubscription implements Subscription {
  readonly done: Promise<void>;
  private stopping = false;
  /** Set by a doorbell; cleared before each read, so a ring during a read is not lost. */
  private rung = false;
  private lastRungAt = Number.NEGATIVE_INFINITY;
  private interruptWait: (() => void) | undefined;

  constructor(
    private readonly readAfter: ReadAfter,
    private readonly wakeUps: WakeUpSource,
    private readonly handler: BatchHandler,
    private readonly options: CatchUpOptions,
  ) {
    this.done = this.run();
    // `done` may go unobserved; its rejection must not become an unhandled one.
    this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.interruptWait?.();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const unsubscribe = this.wakeUps.subscribe(() => this.ring());
    try {
      let checkpoint = this.options.after;
      while (!this.stopping) {
        this.rung = false;
        const batch = await this.readAfter(checkpoint, this.options.maxBatchSize);
        if (this.stopping) return;
        if (batch.length === 0) {
          await this.waitForWakeUp();
          continue;
        }
        assertAdvances(checkpoint, batch);
        await this.handler(batch);
        checkpoint = batch[batch.length - 1].position;
      }
    } finally {
      unsubscribe();
    }
  }

  private ring(): void {
    this.rung = true;
    this.lastRungAt = Date.now();
    this.interruptWait?.();
  }

  /**
   * A doorbell means something committed. If the read after it found nothing, a transaction still
   * open elsewhere holds readers back (Postgres' xmin horizon), and no further doorbell will come
   * when it ends; so for one poll interval after a doorbell, read again soon.
   */
  private waitForWakeUp(): Promise<void> {
    if (this.rung || this.stopping) return Promise.resolve();
    const recentlyRung = Date.now() - this.lastRungAt < this.options.pollIntervalMs;
    const waitMs = recentlyRung
      ? Math.min(this.options.readAgainAfterDoorbellMs, this.options.pollIntervalMs)
      : this.options.pollIntervalMs;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, waitMs);
      const self = this;
      function finish(): void {
        clearTimeout(timer);
        self.interruptWait = undefined;
        resolve();
      }
      this.interruptWait = finish;
    });
  }
}

/** Positions handed over must strictly increase: a repeat or a step back is a broken reader. */
function assertAdvances(checkpoint: bigint | undefined, batch: readonly RecordedEvent[]): void {
  let previous = checkpoint;
  for (const event of batch) {
    if (previous !== undefined && event.position <= previous) {
      throw new Error(`subscription: position ${event.position} does not advance past ${previous}`);
    }
    previous = event.position;
  }
}
