import { SqlClient } from '@accrual/database';
import { EventStore, RecordedEvent } from '@accrual/event-store';
import { Projection } from '../projection';
import { ALL_PROJECTIONS, applyEventBatch, recordedAtMs } from '../projector';
import { assertSchemaName, LIVE_SCHEMA, migrateReadModels } from '../schema';

/** Events read (and applied, in one transaction) per page of the log. */
export const REPLAY_PAGE_SIZE = 5_000;
/** How long a replay waits for committed events the store does not show yet before giving up. */
export const REPLAY_STALL_TIMEOUT_MS = 120_000;

/** Schemas a replay must never drop: the live read models and the other parts of the database. */
// `privacy` holds the customers' data keys (GDPR), which no replay can bring back.
const PROTECTED_SCHEMAS: ReadonlySet<string> = new Set([LIVE_SCHEMA, 'public', 'api', 'relay', 'event_store', 'privacy', 'information_schema']);

export interface RebuildOptions {
  store: EventStore;
  sql: SqlClient;
  /** The target schema: dropped and recreated. Never the live one. */
  schema: string;
  /** Apply only events recorded (wall clock, `metadata.recordedAt`) at or before this instant. Default: all. */
  until?: Date;
  pageSize?: number;
  projections?: readonly Projection[];
}

export interface RebuildResult {
  schema: string;
  until: string | null;
  eventsApplied: number;
  /** Log position of the last event applied (the target schema's checkpoint); 0n for none. */
  checkpoint: bigint;
  /** Recording instant of the last event applied; null for none. */
  lastRecordedAt: string | null;
}

/** Throws unless `schema` is a plain identifier a replay may drop and recreate. */
export function assertReplaySchema(schema: string): string {
  assertSchemaName(schema);
  if (PROTECTED_SCHEMAS.has(schema) || schema.startsWith('pg_')) {
    throw new Error(`refusing to replay into schema ${schema}: it is live or reserved`);
  }
  return schema;
}

/**
 * Rebuilds every read model from the log into a schema of its own, as the books stood at `until`:
 * the auditor's view. `until` compares with each event's wall-clock recording instant, not with
 * business dates in its data, so a rebuild until T shows what the live read models showed at T.
 * The log is in order of recording, so the rebuild stops at the first event recorded after T.
 * Every page goes through `applyEventBatch`, the live projector's own code path.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const { store, sql } = options;
  const schema = assertReplaySchema(options.schema);
  const untilMs = options.until?.getTime();
  if (untilMs !== undefined && Number.isNaN(untilMs)) throw new Error('until must be a valid instant');
  const pageSize = options.pageSize ?? REPLAY_PAGE_SIZE;
  const projections = options.projections ?? ALL_PROJECTIONS;
  await sql.exec(`drop schema if exists ${schema} cascade`);
  await migrateReadModels(sql, schema);
  const result: RebuildResult = { schema, until: options.until?.toISOString() ?? null, eventsApplied: 0, checkpoint: 0n, lastRecordedAt: null };
  // "Now" is the head when the rebuild starts: events appended during it are left for later.
  const head = await store.headPosition();
  let after: bigint | undefined;
  let idleSince = Date.now();
  let next: Promise<RecordedEvent[]> | null = null;
  while ((after ?? 0n) < head) {
    const page = await (next ?? readPage(store, after, pageSize));
    next = null;
    const due = eventsUntil(page, head, untilMs);
    const reachedEnd = due.length < page.length || (due.length > 0 && due[due.length - 1].position >= head);
    // Reads the next page while this one is applied: the database does both at once.
    if (!reachedEnd && due.length > 0) next = prefetch(store, due[due.length - 1].position, pageSize);
    if (due.length > 0) {
      result.checkpoint = await applyEventBatch(sql, schema, projections, due);
      result.eventsApplied += due.length;
      result.lastRecordedAt = due[due.length - 1].metadata.recordedAt;
      after = result.checkpoint;
      idleSince = Date.now();
    }
    // A cut page reached the instant (or the head): done.
    if (reachedEnd) break;
    if (page.length === 0) await waitForVisibility(idleSince);
  }
  return result;
}

/**
 * A page of the log after `after`, through the store's lighter read for replays where it has one
 * (no hash, no tracing ids in the metadata: nothing a projection uses).
 */
function readPage(store: EventStore, after: bigint | undefined, pageSize: number): Promise<RecordedEvent[]> {
  return store.readAllForReplay ? store.readAllForReplay({ after, maxCount: pageSize }) : store.readAll({ after, maxCount: pageSize });
}

/** Starts reading the page after `after`; a failure surfaces when it is awaited, never unhandled. */
function prefetch(store: EventStore, after: bigint, pageSize: number): Promise<RecordedEvent[]> {
  const reading = readPage(store, after, pageSize);
  reading.catch(() => undefined);
  return reading;
}

/**
 * The store may hide committed events for a moment (an older transaction still open anywhere on
 * the server): wait and read again, for a bounded time.
 */
async function waitForVisibility(idleSince: number): Promise<void> {
  if (Date.now() - idleSince > REPLAY_STALL_TIMEOUT_MS) {
    throw new Error(`replay: the log below its head stayed invisible for ${REPLAY_STALL_TIMEOUT_MS} ms (a long transaction open on the server?)`);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** The leading events at or below `head` and, when given, recorded at or before `untilMs`. */
function eventsUntil(page: readonly RecordedEvent[], head: bigint, untilMs: number | undefined): RecordedEvent[] {
  const cut = page.findIndex((recorded) => recorded.position > head || (untilMs !== undefined && !(recordedAtMs(recorded) <= untilMs)));
  return cut === -1 ? [...page] : page.slice(0, cut);
}
