import { SqlClient, SqlExecutor } from '@accrual/database';
import { EventStore, RecordedEvent, Subscription } from '@accrual/event-store';
import { toAccrualEvent } from '@accrual/billing';
import { balancesProjection } from './balances/balances.projection';
import { catalogProjection } from './catalog/catalog.projection';
import { creditNotesProjection } from './credit-notes/credit-notes.projection';
import { customersProjection } from './customers/customers.projection';
import { invoicesProjection } from './invoices/invoices.projection';
import { paymentsProjection } from './payments/payments.projection';
import { ProjectedEvent, Projection } from './projection';
import { LIVE_SCHEMA, migrateReadModels } from './schema';
import { subscriptionsProjection } from './subscriptions/subscriptions.projection';
import { usageProjection } from './usage/usage.projection';
import { receivablesProjection } from './receivables/receivables.projection';
import { ledgerProjection } from './ledger/ledger.projection';

export const ALL_PROJECTIONS: readonly Projection[] = [
  customersProjection,
  catalogProjection,
  subscriptionsProjection,
  usageProjection,
  invoicesProjection,
  paymentsProjection,
  creditNotesProjection,
  balancesProjection,
  receivablesProjection,
  ledgerProjection,
];

/** Every read model advances together, under one checkpoint row. */
export const CHECKPOINT_NAME = 'read_models';
export const PROJECTOR_BATCH_SIZE = 500;

export interface ProjectorOptions {
  schema?: string;
  batchSize?: number;
  projections?: readonly Projection[];
}

export interface ProjectorStatus {
  checkpoint: bigint;
  lastAppliedAtMs: number | null;
}

/**
 * The projector: a catch-up subscription over the log that applies each batch of events to the
 * read models and moves the checkpoint in the same transaction. Restart-safe: it resumes after
 * the checkpoint, and a batch is either wholly applied with its checkpoint or not at all.
 */
export class Projector {
  private subscription: Subscription | null = null;
  private checkpointValue = 0n;
  private readonly waiters = new Set<() => void>();
  readonly schema: string;

  constructor(
    private readonly store: EventStore,
    private readonly sql: SqlClient,
    private readonly options: ProjectorOptions = {},
  ) {
    this.schema = options.schema ?? LIVE_SCHEMA;
  }

  get checkpoint(): bigint {
    return this.checkpointValue;
  }

  async start(): Promise<void> {
    await migrateReadModels(this.sql, this.schema);
    this.checkpointValue = await readCheckpoint(this.sql, this.schema);
    this.subscription = this.store.subscribeToAll(
      { after: this.checkpointValue === 0n ? undefined : this.checkpointValue, maxBatchSize: this.options.batchSize ?? PROJECTOR_BATCH_SIZE },
      (events) => this.applyBatch(events),
    );
    this.subscription.done.catch((error) => {
      // A projection that throws stops the projector loudly rather than skipping an event.
      console.error(JSON.stringify({ level: 'error', msg: 'projector stopped', error: String(error) }));
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }

  /** Applies a batch and its checkpoint in one transaction. */
  async applyBatch(events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const projections = this.options.projections ?? ALL_PROJECTIONS;
    const last = await applyEventBatch(this.sql, this.schema, projections, events);
    this.checkpointValue = last;
    for (const wake of this.waiters) wake();
  }

  /** Resolves true once the read models have applied `position`, false after `timeoutMs`. */
  async waitFor(position: bigint, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.checkpointValue < position) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(remaining, 250));
        this.waiters.add(wake);
      });
    }
    return true;
  }
}

/**
 * The one code path that writes read models, for the live projector and the auditors' replay
 * alike: every event of the batch, then the checkpoint, in one transaction (all or nothing).
 * Returns the batch's last position, the new checkpoint.
 */
export async function applyEventBatch(
  sql: SqlClient,
  schema: string,
  projections: readonly Projection[],
  events: readonly RecordedEvent[],
): Promise<bigint> {
  const last = events[events.length - 1].position;
  const projected = events.map((recorded) => ({ event: toAccrualEvent(recorded.type, recorded.metadata.schemaVersion, recorded.data), recorded }));
  // Projections that apply a whole batch at once own their tables: they need not interleave with the
  // others, whose runs then leave out the events only those handle (no longer breaking runs of one type).
  const eventByEvent = projections.filter((projection) => !projection.applyBatch);
  const interleaved = projected.filter(({ event }) => eventByEvent.some((projection) => projection.handles.has(event.type)));
  await sql.transaction(async (tx) => {
    for (const run of runsOfOneType(interleaved)) {
      await applyRun(tx, schema, eventByEvent, run);
    }
    for (const projection of projections) {
      const own = projection.applyBatch ? projected.filter(({ event }) => projection.handles.has(event.type)) : [];
      if (own.length > 0) await projection.applyBatch?.(tx, schema, own);
    }
    for (const projection of projections) await projection.afterBatch?.(tx, schema, projected);
    await writeCheckpoint(tx, schema, last);
  });
  return last;
}

/** Splits a batch into maximal runs of consecutive events of the same type, in order. */
function runsOfOneType(projected: readonly ProjectedEvent[]): ProjectedEvent[][] {
  const runs: ProjectedEvent[][] = [];
  for (const one of projected) {
    const current = runs[runs.length - 1];
    if (current && current[0].event.type === one.event.type) current.push(one);
    else runs.push([one]);
  }
  return runs;
}

/** A run goes to `applyMany` when exactly one projection handles its type and offers it; else event by event. */
async function applyRun(tx: SqlExecutor, schema: string, projections: readonly Projection[], run: readonly ProjectedEvent[]): Promise<void> {
  const handlers = projections.filter((projection) => projection.handles.has(run[0].event.type));
  if (handlers.length === 0) return;
  if (run.length > 1 && handlers.length === 1 && handlers[0].applyMany) {
    await handlers[0].applyMany(tx, schema, run);
    return;
  }
  for (const one of run) {
    for (const projection of handlers) await projection.apply(tx, schema, one);
  }
}

/** The event's wall-clock recording instant in ms since the epoch; NaN when unparseable. */
export function recordedAtMs(recorded: RecordedEvent): number {
  return Date.parse(recorded.metadata.recordedAt);
}

export async function readCheckpoint(sql: SqlExecutor, schema: string = LIVE_SCHEMA): Promise<bigint> {
  const result = await sql.query<{ position: string }>(
    `select position from ${schema}.checkpoints where projection = $1`,
    [CHECKPOINT_NAME],
  );
  return result.rows[0] ? BigInt(result.rows[0].position) : 0n;
}

async function writeCheckpoint(tx: SqlExecutor, schema: string, position: bigint): Promise<void> {
  await tx.query(
    `insert into ${schema}.checkpoints (projection, position) values ($1, $2)
     on conflict (projection) do update set position = excluded.position`,
    [CHECKPOINT_NAME, position.toString()],
  );
}

/**
 * For a process that does not run the projector itself (the API alone in production): polls the
 * checkpoint row until it reaches `position`.
 */
export async function waitForCheckpoint(sql: SqlExecutor, position: bigint, timeoutMs: number, schema = LIVE_SCHEMA): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await readCheckpoint(sql, schema)) >= position) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ProjectionLag {
  headPosition: bigint;
  checkpoint: bigint;
  /** Head position minus checkpoint (positions may have holes: an upper bound on events behind). */
  events: bigint;
  /** How long the oldest event not yet applied has waited (now minus its recordedAt); 0 when caught up. */
  ms: number;
}

/**
 * The projector's lag in events and in time. Costs one read of one event, and only when behind.
 * `checkpoint` is the projector's (in-process) or the checkpoint row's (another process).
 */
export async function projectionLag(store: EventStore, checkpoint: bigint, nowMs: number): Promise<ProjectionLag> {
  const headPosition = await store.headPosition();
  const events = headPosition > checkpoint ? headPosition - checkpoint : 0n;
  if (events === 0n) return { headPosition, checkpoint, events, ms: 0 };
  const [oldest] = await store.readAll({ after: checkpoint === 0n ? undefined : checkpoint, maxCount: 1 });
  const waited = oldest ? nowMs - recordedAtMs(oldest) : 0;
  return { headPosition, checkpoint, events, ms: Number.isFinite(waited) ? Math.max(0, waited) : 0 };
}
