import { IntegrityNotSupportedError } from '@accrual/event-store';
import { toProblem } from './problem';

describe('toProblem', () => {
  it('answers 501 where the store keeps no tamper evidence to verify', () => {
    expect(toProblem(new IntegrityNotSupportedError('eventstoredb')).problem).toMatchObject({
      status: 501,
      type: 'integrity-not-supported',
      title: 'Not implemented',
    });
  });

  it('hides what an unexpected error says', () => {
    expect(toProblem(new Error('password=hunter2 in a stack')).problem).toEqual({
      type: 'internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'the server failed to handle the request',
    });
  });
});
