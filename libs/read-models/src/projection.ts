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
}
