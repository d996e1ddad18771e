import { ConflictError, InvalidInputError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { AGGREGATIONS, DefineMeter, defineMeter, MeterDefined, meterDecider } from './meter';

const command: DefineMeter = { code: 'api_calls', name: 'API calls', aggregation: 'sum' };

describe('defineMeter', () => {
  it.each(AGGREGATIONS.filter((aggregation) => aggregation !== 'unique_count'))('defines a %s meter', (aggregation) => {
    const state = given(meterDecider)
      .when((state) => defineMeter({ ...command, aggregation }, state))
      .then([{ type: 'MeterDefined', data: { code: 'api_calls', name: 'API calls', aggregation, uniqueBy: null } }]);
    expect(state).toEqual({ status: 'defined', meter: { code: 'api_calls', name: 'API calls', aggregation, uniqueBy: null } });
  });

  it('defines a unique_count meter that counts distinct values of its uniqueBy property', () => {
    given(meterDecider)
      .when((state) => defineMeter({ code: 'active_users', name: 'Active users', aggregation: 'unique_count', uniqueBy: 'user_id' }, state))
      .then([
        { type: 'MeterDefined', data: { code: 'active_users', name: 'Active users', aggregation: 'unique_count', uniqueBy: 'user_id' } },
      ]);
  });

  it('covers exactly the five aggregations of the contract', () => {
    expect([...AGGREGATIONS].sort()).toEqual(['count', 'last', 'max', 'sum', 'unique_count']);
  });

  it.each([undefined, null, ''])('refuses unique_count without uniqueBy (%j)', (uniqueBy) => {
    const error = given(meterDecider)
      .when((state) => defineMeter({ ...command, aggregation: 'unique_count', uniqueBy }, state))
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['uniqueBy']);
  });

  it('refuses uniqueBy on any other aggregation', () => {
    const error = given(meterDecider)
      .when((state) => defineMeter({ ...command, aggregation: 'count', uniqueBy: 'user_id' }, state))
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['uniqueBy']);
  });

  it.each(['average', 'SUM', 'unique-count', ''])('refuses the aggregation %j', (aggregation) => {
    const error = given(meterDecider)
      .when((state) => defineMeter({ ...command, aggregation }, state))
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['aggregation']);
  });

  it.each(['', 'api calls', 'x'.repeat(65), 'calls/s'])('refuses the code %j', (code) => {
    const error = given(meterDecider)
      .when((state) => defineMeter({ ...command, code }, state))
      .thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toEqual(['code']);
  });

  it.each(['a', 'api.calls:v2', 'API_calls-1', 'x'.repeat(64)])('accepts the code %j', (code) => {
    const [event] = given(meterDecider).when((state) => defineMeter({ ...command, code }, state)).events();
    expect(event.data.code).toBe(code);
  });

  it('refuses a code that exists: ConflictError meter-exists', () => {
    const defined: MeterDefined = { type: 'MeterDefined', data: { ...command, aggregation: 'sum', uniqueBy: null } };
    given(meterDecider, [defined])
      .when((state) => defineMeter({ ...command, aggregation: 'max' }, state))
      .thenThrows(ConflictError, 'meter-exists');
  });
});
