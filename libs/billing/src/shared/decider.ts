/**
 * The decider shape (Emmett): events and state are plain data; `evolve` folds events into state;
 * `decide` functions turn a command and the state into new events or throw a typed DomainError.
 * Nothing here does I/O or reads a clock.
 */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  type: Type;
  data: Data;
}

export interface Decider<State, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
}

export function fold<State, Event extends DomainEvent>(
  decider: Decider<State, Event>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
