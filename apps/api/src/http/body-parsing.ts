import { json, NextFunction, Request, Response } from 'express';
import { problem, PROBLEM_CONTENT_TYPE } from './problem';

/**
 * JSON bodies only, limited in size (TigerBeetle: a limit on everything). Parse failures answer
 * problem+json here, before Nest, so a malformed body never reaches a handler.
 */
export function jsonBodyParser(limitBytes: number) {
  return json({ limit: limitBytes, strict: true, type: ['application/json', 'application/*+json'] });
}

export function bodyParserErrorHandler(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  const failure = error as { type?: string; status?: number; message?: string };
  if (!failure || typeof failure.status !== 'number') return next(error);
  const answer =
    failure.type === 'entity.too.large'
      ? problem(413, 'payload-too-large', 'the request body is larger than the limit')
      : failure.type === 'entity.parse.failed'
        ? problem(400, 'malformed-json', 'the request body is not valid JSON')
        : problem(failure.status, 'invalid-body', failure.message ?? 'the request body could not be read');
  response.status(answer.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(answer));
}
