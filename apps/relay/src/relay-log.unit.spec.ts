import { logLevel } from 'kafkajs';
import { kafkaLogCreator, RelayLog } from './relay-log';

describe('kafkaLogCreator', () => {
  function route(level: logLevel, message: string, extra: Record<string, unknown> = {}): unknown[][] {
    const calls: unknown[][] = [];
    const log: RelayLog = (...args) => calls.push(args);
    kafkaLogCreator(log)(logLevel.WARN)({ namespace: 'Producer', level, label: 'x', log: { timestamp: 't', message, ...extra } });
    return calls;
  }

  it('passes kafkajs entries on with their level and fields, without timestamp or stack', () => {
    expect(route(logLevel.ERROR, 'Connection error', { broker: 'b:9092', stack: 'Error: …' })).toEqual([
      ['error', 'kafkajs: Connection error', { namespace: 'Producer', broker: 'b:9092' }],
    ]);
  });

  it('drops the one warning the relay causes on purpose (bounded producer retries)', () => {
    expect(route(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees')).toEqual([]);
    expect(route(logLevel.WARN, 'Something else')).toHaveLength(1);
  });
});
