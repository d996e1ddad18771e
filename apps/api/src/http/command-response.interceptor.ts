import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import {
  claimKey,
  completeKey,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  releaseKey,
  requestHash,
  Runtime,
  RUNTIME,
  StoredResponse,
} from '@accrual/platform';
import { AccrualRequest } from './auth.guard';
import { CommandResult } from './command-result';
import { Problem, problem, ProblemException, toProblem } from './problem';

/**
 * Turns a handler's CommandResult into the answer (status, body, `X-Log-Position`), and honours
 * `Idempotency-Key` on every POST: the first answer, success or refusal, is stored and replayed
 * for a repeat with the same body; the same key with another body is refused (422); a server
 * error stores nothing, so the client may retry.
 */
@Injectable()
export class CommandResponseInterceptor implements NestInterceptor {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AccrualRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    return from(this.handle(request, response, next));
  }

  private async handle(request: AccrualRequest, response: Response, next: CallHandler): Promise<unknown> {
    const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    if (typeof key !== 'string') return this.answer(response, await this.run(next));
    if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
      throw new ProblemException(problem(400, 'invalid-idempotency-key', `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`));
    }
    const hash = requestHash(request.method, request.path, request.body ?? null);
    const claim = await claimKey(this.runtime.sql, key, hash);
    if (claim.kind === 'reused') {
      throw new ProblemException(problem(422, 'idempotency-key-reused', 'this Idempotency-Key was used with another request body'));
    }
    if (claim.kind === 'in_progress') {
      throw new ProblemException(problem(409, 'idempotency-key-in-progress', 'a request with this Idempotency-Key is still running'));
    }
    if (claim.kind === 'replay') {
      response.setHeader('Idempotent-Replayed', 'true');
      return this.answer(response, claim.response);
    }
    let stored: StoredResponse;
    try {
      stored = await this.run(next);
    } catch (error) {
      const { problem: answer } = toProblem(error);
      if (answer.status >= 500) {
        await releaseKey(this.runtime.sql, key);
        throw error;
      }
      await completeKey(this.runtime.sql, key, { status: answer.status, body: answer, logPosition: null });
      throw error;
    }
    await completeKey(this.runtime.sql, key, stored);
    return this.answer(response, stored);
  }

  private async run(next: CallHandler): Promise<StoredResponse> {
    const result = await lastValueFrom(next.handle());
    // Every command answer carries X-Log-Position (CONTRACT §2). One that appended nothing (a
    // billing run with nothing due) answers the log's head: waiting for it reads every write the
    // state it answered was made from.
    if (!(result instanceof CommandResult)) return { status: 200, body: result, logPosition: null };
    const position = result.position ?? (await this.runtime.eventStore.headPosition());
    return { status: result.status, body: result.body, logPosition: position.toString() };
  }

  /**
   * Nest writes the route's own status code (`@HttpCode`) for a success; a stored refusal is
   * thrown again so it leaves through the problem filter exactly as it first did.
   */
  private answer(response: Response, stored: StoredResponse): unknown {
    if (stored.status >= 400) throw new ProblemException(stored.body as Problem);
    if (stored.logPosition !== null) response.setHeader('X-Log-Position', stored.logPosition);
    return stored.body;
  }
}
