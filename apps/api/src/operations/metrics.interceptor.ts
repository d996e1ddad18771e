import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Request, Response } from 'express';
import { finalize, Observable } from 'rxjs';
import { Metrics } from './metrics';

@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: Metrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
    const stopTimer = this.metrics.requestDuration.startTimer({ method: request.method, route });
    return next.handle().pipe(
      finalize(() => {
        stopTimer();
        this.metrics.requests.inc({ method: request.method, route, status: String(response.statusCode) });
      }),
    );
  }
}
