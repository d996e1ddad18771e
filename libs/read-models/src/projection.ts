import { AccrualEvent } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { RecordedEvent } from '@accrual/event-store';

/** What a projection sees of one event: the upcast domain event and where it sits in the log. */
export interface ProjectedEvent {
  event: AccrualEvent;
  recorded: RecordedEvent;
}

/**
 * One read model: it applies events to its tables inside the projector's transaction, which also
 * moves the checkpoint, so a crash never leaves a table ahead of or behind the checkpoint.
 */
export interface Projection {
  readonly name: string;
  readonly handles: ReadonlySet<AccrualEvent['type']>;
  apply(tx: SqlExecutor, schema: string, projected: ProjectedEvent): Promise<void>;
  /**
   * Optional, for throughput: applies a run of consecutive events of one type at once, with the
   * same result as `apply` on each in order. The projector uses it only for a type no other
   * projection applied event by event handles, so no other read model sees the run in a different order.
   */
  applyMany?(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void>;
  /**
   * Optional, for throughput (projection lag): applies every event of the batch this projection
   * handles, in log order, with the same result as `apply` on each, in a few statements for the
   * whole batch (one per table). Only for a projection whose tables no other projection reads: the
   * projector then applies it apart from the others, with only its own events, in place of
   * `apply` and `applyMany`.
   */
  applyBatch?(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void>;
  /**
   * Optional, for throughput: runs once per batch after every event of it was applied, in the
   * same transaction, with the whole batch: for tables derived from the projection's own rows,
   * rebuilt once for what the batch touched instead of after each event.
   */
  afterBatch?(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void>;
}
