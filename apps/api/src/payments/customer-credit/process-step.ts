import { AccrualEvent, Decider } from '@accrual/billing';
import { DuplicateEventIdError, EventStore, WrongExpectedRevisionError } from '@accrual/event-store';
import { CommandContext, loadStream, MAX_CONFLICT_RETRIES, toNewEvents } from '@accrual/platform';

export interface StepOutcome<State> {
  state: State;
  /** Position of the step's last event, or of the stream's last one when the step was done already. */
  position: bigint | null;
}

/**
 * One step of a multi-stream process (payment, credit note, void, credit at issue): load the
 * stream, decide, append at the revision read. The decision itself says when the step happened
 * already (it decides nothing), so a retried process completes instead of duplicating.
 *
 * Event ids come from `idSeed` alone, not from the revision, so the same step names the same ids
 * however often it runs: the store refuses an id it holds elsewhere (`DuplicateEventIdError`),
 * which guards a step against being written twice by two racing processes. After a version
 * conflict or such a refusal the step reloads and decides again, a bounded number of times.
 */
export async function appendStep<State, Event extends AccrualEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Event>,
  decide: (state: State) => Event[],
  context: CommandContext,
  idSeed: string | ((events: readonly Event[]) => string),
): Promise<StepOutcome<State>> {
  for (let attempt = 0; ; attempt += 1) {
    const loaded = await loadStream(store, streamId, decider);
    const events = decide(loaded.state);
    if (events.length === 0) return { state: loaded.state, position: loaded.lastPosition };
    const seed = typeof idSeed === 'string' ? idSeed : idSeed(events);
    try {
      const result = await store.append(streamId, toNewEvents(events, context, seed), {
        expectedRevision: loaded.revision === null ? 'no_stream' : loaded.revision,
      });
      return { state: events.reduce((state, event) => decider.evolve(state, event), loaded.state), position: result.position };
    } catch (error) {
      const retryable = error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError;
      if (!retryable || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/** The later of two log positions (null: none). */
export function laterPosition(left: bigint | null, right: bigint | null): bigint | null {
  if (left === null) return right;
  if (right === null) return left;
  return left > right ? left : right;
}
