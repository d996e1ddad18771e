import {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  EventStoreDBClient,
  excludeSystemEvents,
  START,
} from '@eventstore/db-client';
import { BatchHandler, RecordedEvent, Subscription } from '../event-store.port';
import { fromResolvedEvent } from './mapping';

export interface EventStoreDbSubscriptionOptions {
  after: bigint | undefined;
  maxBatchSize: number;
}

/**
 * A native catch-up subscription to `$all` (system events filtered on the server), handed to the
 * handler in batches: events received while the handler works are buffered, up to two batches;
 * beyond that the gRPC stream is paused, so a slow handler holds back the server, not memory.
 */
export class EventStoreDbSubscription implements Subscription {
  readonly done: Promise<void>;
  private readonly buffer: RecordedEvent[] = [];
  private readonly source: AllStreamSubscription;
  private checkpoint: bigint | undefined;
  private stopping = false;
  private failure: { error: unknown } | undefined;
  private wakePump: (() => void) | undefined;

  constructor(
    client: EventStoreDBClient,
    private readonly handler: BatchHandler,
    private readonly options: EventStoreDbSubscriptionOptions,
  ) {
    this.checkpoint = options.after;
    const after = options.after;
    // Subscribing from a position delivers events after it; `receive` drops any repeat anyway.
    this.source = client.subscribeToAll({
      fromPosition: after === undefined ? START : { commit: after, prepare: after },
      filter: excludeSystemEvents(),
    });
    this.source.on('data', (resolved: AllStreamResolvedEvent) => this.receive(resolved));
    this.source.on('error', (error: Error) => this.fail(error));
    this.source.on('end', () => this.fail(new Error('EventStoreDB subscription ended by the server')));
    this.done = this.pump();
    this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.source.unsubscribe().catch(() => undefined);
    await this.done.catch(() => undefined);
  }

  private receive(resolved: AllStreamResolvedEvent): void {
    try {
      const event = fromResolvedEvent(resolved);
      const last = this.buffer.length > 0 ? this.buffer[this.buffer.length - 1].position : this.checkpoint;
      if (last !== undefined && event.position <= last) return;
      this.buffer.push(event);
      if (this.buffer.length >= 2 * this.options.maxBatchSize) this.source.pause();
      this.wake();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.stopping || this.failure) return;
    this.failure = { error };
    this.wake();
  }

  private wake(): void {
    const wake = this.wakePump;
    this.wakePump = undefined;
    wake?.();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.stopping) return;
        if (this.failure) throw this.failure.error;
        if (this.buffer.length === 0) {
          await new Promise<void>((resolve) => (this.wakePump = resolve));
          continue;
        }
        const batch = this.buffer.splice(0, this.options.maxBatchSize);
        if (this.source.isPaused() && this.buffer.length < this.options.maxBatchSize) this.source.resume();
        await this.handler(batch);
        this.checkpoint = batch[batch.length - 1].position;
      }
    } finally {
      if (!this.stopping) await this.source.unsubscribe().catch(() => undefined);
    }
  }
}
