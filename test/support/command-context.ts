import { randomUUID } from 'node:crypto';
import { CommandContext } from '@accrual/platform';

/** A command's context as an admin test caller sends it: fresh correlation and request ids, now. */
export function testCommandContext(): CommandContext {
  return {
    actor: 'test',
    role: 'admin',
    correlationId: randomUUID(),
    causationId: null,
    requestId: randomUUID(),
    receivedAtMs: Date.now(),
  };
}
