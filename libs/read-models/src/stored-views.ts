import { SqlExecutor } from '@accrual/database';

/** One event for a row whose `view` column holds the domain's own fold (invoices, payments). */
export interface ViewEvent<State> {
  /** The row's id. */
  id: string;
  position: bigint;
  evolve(before: State): State;
}

/** A row a batch wrote: its state after the batch, and where it was first written. */
export interface FoldedView<State> {
  id: string;
  state: State;
  /** The row's `created_position` (the event that first wrote it, in this batch or before). */
  createdPosition: string;
  /** The state the row was inserted with (insert-only columns come from it); null when stored before this batch. */
  insertedState: State | null;
}

/**
 * Folds a batch of events onto the stored views they name, with one read for the batch: what
 * "read the view, evolve, upsert it" event by event leaves, row by row. As there, an event that
 * leaves no state (`status: 'none'`) writes nothing and the next starts from the stored row, and a
 * view goes through JSON as it would through the `jsonb` column. Answers the rows to write.
 */
export async function foldStoredViews<State extends { status: string }>(
  tx: SqlExecutor,
  table: string,
  initialState: () => State,
  events: readonly ViewEvent<State>[],
): Promise<FoldedView<State>[]> {
  const ids = [...new Set(events.map((event) => event.id))];
  const stored = await tx.query<{ id: string; view: State; created_position: string }>(
    `select id, view, created_position::text as created_position from ${table} where id = any($1::text[])`,
    [ids],
  );
  const rows = new Map<string, FoldedView<State>>(
    stored.rows.map((row) => [row.id, { id: row.id, state: row.view, createdPosition: row.created_position, insertedState: null }]),
  );
  const written = new Set<string>();
  for (const event of events) {
    const row = rows.get(event.id);
    const after = event.evolve(row?.state ?? initialState());
    if (after.status === 'none') continue;
    const state = JSON.parse(JSON.stringify(after)) as State;
    if (row) row.state = state;
    else rows.set(event.id, { id: event.id, state, createdPosition: event.position.toString(), insertedState: state });
    written.add(event.id);
  }
  return [...written].map((id) => rows.get(id) as FoldedView<State>);
}
