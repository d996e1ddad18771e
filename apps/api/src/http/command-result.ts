import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { CommandContext } from '@accrual/platform';
import { AccrualRequest } from './auth.guard';

/** What a command handler answers: the HTTP status, the body, and its last event's position. */
export class CommandResult {
  constructor(
    readonly status: 200 | 201 | 202,
    readonly body: unknown,
    readonly position: bigint | null,
  ) {}
}

/** The command's metadata, from the authenticated caller and the request. */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<AccrualRequest>();
  const causation = request.headers['x-causation-id'];
  return {
    actor: request.caller?.name ?? 'anonymous',
    role: request.caller?.role ?? 'none',
    correlationId: request.correlationId ?? request.requestId ?? 'none',
    causationId: typeof causation === 'string' && causation.length <= 128 ? causation : null,
    requestId: request.requestId ?? 'none',
    receivedAtMs: Date.now(),
  };
});
