import { NextFunction, Request, Response } from 'express';
import { DestinationStream, Logger, pino } from 'pino';
import { LogLevel } from '@accrual/platform';
import type { AccrualRequest } from '../http/auth.guard';
import { Metrics } from './metrics';

/** JSON lines on stdout (or `destination`, for tests), at `ACCRUAL_LOG_LEVEL`. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'accrual-api' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/**
 * One log line and one metrics sample per request, once the answer is sent (refusals by the body
 * parser, the guard or the filter included). The line is built field by field from what is safe to
 * keep: never headers, bodies or query strings, so no secret can reach the log.
 */
export function observeRequests(logger: Logger, metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    response.once('finish', () => record(logger, metrics, request as AccrualRequest, response, false));
    response.once('close', () => {
      if (!response.writableFinished) record(logger, metrics, request as AccrualRequest, response, true);
    });
    next();
  };
}

function record(logger: Logger, metrics: Metrics, request: AccrualRequest, response: Response, aborted: boolean): void {
  const route = routeOf(request);
  const status = String(response.statusCode);
  const seconds = request.receivedAtNs === undefined ? 0 : Number(process.hrtime.bigint() - request.receivedAtNs) / 1e9;
  metrics.requests.inc({ method: request.method, route, status });
  metrics.requestDuration.observe({ method: request.method, route, status }, seconds);
  const line = {
    method: request.method,
    route,
    status: response.statusCode,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    actor: request.caller?.name ?? null,
    role: request.caller?.role ?? null,
    correlationId: request.correlationId,
    requestId: request.requestId,
    ...(aborted ? { aborted: true } : {}),
  };
  if (response.statusCode >= 500) logger.error(line, 'request failed');
  else logger.info(line, 'request');
}

/** The matched route pattern; `unmatched` for anything no route took (404s, body refusals). */
function routeOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}
