import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Request } from 'express';
import { Runtime, RUNTIME } from '@accrual/platform';
import { problem, ProblemException } from './problem';
import { waitForReadModels } from '../shared/read-models';

/** How long a query waits for the read models to reach `X-Min-Position` (CONTRACT §2). */
export const MIN_POSITION_WAIT_MS = 10_000;

/** A query given `X-Min-Position: N` answers only once the read models have applied N. */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers['x-min-position'];
    if (request.method !== 'GET' || header === undefined) return next.handle();
    return from(this.waitThenHandle(String(header), next));
  }

  private async waitThenHandle(header: string, next: CallHandler): Promise<unknown> {
    if (!/^\d{1,30}$/.test(header)) {
      throw new ProblemException(problem(400, 'invalid-min-position', 'X-Min-Position must be a log position (a whole number)'));
    }
    await waitForReadModels(this.runtime, BigInt(header), MIN_POSITION_WAIT_MS);
    return lastValueFrom(next.handle());
  }
}
