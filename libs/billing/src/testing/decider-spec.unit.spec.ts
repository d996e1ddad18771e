import { ConflictError, DomainError, InvalidInputError, RuleViolationError } from '../shared/errors';
import { DomainEvent } from '../shared/decider';
import { fieldsOf, given } from './decider-spec';

// A counter, the smallest decider there is, to pin down what the helper itself promises.
type Added = DomainEvent<'Added', { by: number }>;
const counter = {
  initialState: () => ({ total: 0 }),
  evolve: (state: { total: number }, event: Added) => ({ total: state.total + event.data.by }),
};
const add = (by: number, state: { total: number }): Added[] => {
  if (by <= 0) throw InvalidInputError.field('by', 'must be positive');
  if (state.total + by > 10) throw new RuleViolationError('counter-full', 'at most 10');
  return [{ type: 'Added', data: { by } }];
};
const added = (by: number): Added => ({ type: 'Added', data: { by } });

describe('given–when–then', () => {
  it('given folds the past events into the state', () => {
    expect(given(counter, [added(2), added(3)]).state).toEqual({ total: 5 });
    expect(given(counter).state).toEqual({ total: 0 });
  });

  it('then checks the new events and answers the state they lead to', () => {
    expect(given(counter, [added(2)]).when((state) => add(3, state)).then([added(3)])).toEqual({ total: 5 });
  });

  it('then fails on other events, and rethrows an unexpected error', () => {
    expect(() => given(counter).when((state) => add(3, state)).then([added(4)])).toThrow();
    expect(() => given(counter).when((state) => add(0, state)).then([added(0)])).toThrow(InvalidInputError);
  });

  it('thenThrows checks the class and the code, and answers the error', () => {
    const error = given(counter).when((state) => add(-1, state)).thenThrows(InvalidInputError, 'invalid-input');
    expect(fieldsOf(error)).toEqual(['by']);
    given(counter, [added(9)]).when((state) => add(2, state)).thenThrows(DomainError, 'counter-full');
  });

  it('thenThrows fails when nothing is thrown, or another class or code is', () => {
    expect(() => given(counter).when((state) => add(1, state)).thenThrows(RuleViolationError)).toThrow(/expected RuleViolationError/);
    expect(() => given(counter, [added(9)]).when((state) => add(2, state)).thenThrows(ConflictError)).toThrow();
    expect(() => given(counter, [added(9)]).when((state) => add(2, state)).thenThrows(RuleViolationError, 'other')).toThrow();
  });
});
