import { Decider, DomainEvent, fold } from '../shared/decider';

/**
 * Given–when–then for deciders (Emmett's `DeciderSpecification`, in a few lines):
 *
 *   given(customerDecider, [created]).when((state) => createCustomer(command, state)).thenThrows(ConflictError, 'customer-exists');
 *   given(invoiceDecider, [created]).when((state) => issueInvoice(command, state)).then([issued]);
 *
 * `given` folds past events into the state; `when` runs one decision against it and keeps what
 * happened (events or an error); `then` and `thenThrows` assert on it. Both return something to
 * look at further: the state after the new events, or the error (its `errors`, `code`, …).
 * Test-only: the build excludes `**\/testing/**`.
 */
export function given<State, Event extends DomainEvent>(decider: Decider<State, Event>, events: readonly Event[] = []) {
  const state = fold(decider, events);
  return {
    state,
    when: (decide: (state: State) => readonly Event[]) => outcomeOf(decider, events, state, decide),
  };
}

type Outcome<Event> = { kind: 'events'; events: readonly Event[] } | { kind: 'error'; error: unknown };

// An abstract class (DomainError) is as good a thing to expect as a concrete one.
type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function outcomeOf<State, Event extends DomainEvent>(
  decider: Decider<State, Event>,
  history: readonly Event[],
  state: State,
  decide: (state: State) => readonly Event[],
) {
  let outcome: Outcome<Event>;
  try {
    outcome = { kind: 'events', events: decide(state) };
  } catch (error) {
    outcome = { kind: 'error', error };
  }
  const eventsOrRethrow = (): readonly Event[] => {
    if (outcome.kind === 'error') throw outcome.error;
    return outcome.events;
  };
  return {
    /** The decision appended exactly these events; answers the state they lead to. */
    then(expected: readonly Event[]): State {
      const events = eventsOrRethrow();
      expect(events).toEqual(expected);
      return fold(decider, [...history, ...events]);
    },
    /** The events, for assertions looser than equality (toMatchObject, a computed field, …). */
    events(): readonly Event[] {
      return eventsOrRethrow();
    },
    /** The state the decided events lead to. */
    thenState(): State {
      return fold(decider, [...history, ...eventsOrRethrow()]);
    },
    /** The decision refused with this error class (and this `code`, where given); answers the error. */
    thenThrows<E extends Error>(errorClass: ErrorClass<E>, code?: string): E {
      if (outcome.kind === 'events') {
        throw new Error(`expected ${errorClass.name}${code ? ` '${code}'` : ''}, but the decision appended ${JSON.stringify(outcome.events)}`);
      }
      expect(outcome.error).toBeInstanceOf(errorClass);
      if (code !== undefined) expect((outcome.error as { code?: unknown }).code).toBe(code);
      return outcome.error as E;
    },
  };
}

/** The `field`s of an InvalidInputError, sorted: what a problem+json `errors[]` would name. */
export function fieldsOf(error: { errors: ReadonlyArray<{ field: string }> }): string[] {
  return error.errors.map((fieldError) => fieldError.field).sort();
}
