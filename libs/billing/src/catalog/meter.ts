import { DomainEvent } from '../shared/decider';
import { ConflictError, InvalidInputError } from '../shared/errors';

export const AGGREGATIONS = ['sum', 'count', 'max', 'unique_count', 'last'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

const METER_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface MeterDefinition {
  code: string;
  name: string;
  aggregation: Aggregation;
  uniqueBy: string | null;
}

export type MeterDefined = DomainEvent<'MeterDefined', MeterDefinition>;
export type MeterEvent = MeterDefined;
export type MeterState = { status: 'none' } | { status: 'defined'; meter: MeterDefinition };

export const meterDecider = {
  initialState: (): MeterState => ({ status: 'none' }),
  evolve: (_state: MeterState, event: MeterEvent): MeterState => ({ status: 'defined', meter: event.data }),
};

export interface DefineMeter {
  code: string;
  name: string;
  aggregation: string;
  uniqueBy?: string | null;
}

export function defineMeter(command: DefineMeter, state: MeterState): MeterEvent[] {
  if (state.status === 'defined') {
    throw new ConflictError('meter-exists', `meter ${command.code} already exists`);
  }
  if (!METER_CODE.test(command.code)) {
    throw InvalidInputError.field('code', 'must match ^[A-Za-z0-9_.:-]{1,64}$');
  }
  if (!(AGGREGATIONS as readonly string[]).includes(command.aggregation)) {
    throw InvalidInputError.field('aggregation', `must be one of ${AGGREGATIONS.join(', ')}`);
  }
  const aggregation = command.aggregation as Aggregation;
  if (aggregation === 'unique_count' && !command.uniqueBy) {
    throw InvalidInputError.field('uniqueBy', 'is required for unique_count');
  }
  if (aggregation !== 'unique_count' && command.uniqueBy) {
    throw InvalidInputError.field('uniqueBy', 'applies to unique_count only');
  }
  return [
    {
      type: 'MeterDefined',
      data: { code: command.code, name: command.name, aggregation, uniqueBy: command.uniqueBy ?? null },
    },
  ];
}
