import { randomUUID } from 'node:crypto';
import { NextFunction, Request, Response } from 'express';
import type { AccrualRequest } from './auth.guard';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware of all: gives every request an id and a correlation id (the client's
 * `X-Correlation-Id` when well-formed, else a new one) and echoes the latter on every answer,
 * refusals by the body parser or the guard included.
 */
export function correlation(request: Request, response: Response, next: NextFunction): void {
  const context = request as AccrualRequest;
  context.receivedAtNs = process.hrtime.bigint();
  context.requestId = randomUUID();
  const given = request.headers['x-correlation-id'];
  context.correlationId = typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
  response.setHeader('X-Correlation-Id', context.correlationId);
  next();
}
