import { json, NextFunction, Request, Response } from 'express';
import { Problem, problem, PROBLEM_CONTENT_TYPE } from './problem';

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

/** Deeper JSON than any request of the contract needs is refused before validation walks it. */
export const MAX_BODY_DEPTH = 32;

/** A NUL, or half of a UTF-16 surrogate pair: text Postgres cannot store (jsonb, text). */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses, with 400, text that no store could keep: a NUL (`%00`) in the path or query, and in the
 * body a NUL, a lone surrogate (in keys too) or nesting deeper than MAX_BODY_DEPTH. Otherwise the
 * database would refuse it mid-command and the client would see a 500.
 */
export function refuseUnstorableText(request: Request, response: Response, next: NextFunction): void {
  const refusal = /%00/.test(request.url) ? problem(400, 'invalid-text', 'the URL holds a NUL character') : bodyRefusal(request.body);
  if (!refusal) return next();
  response.status(refusal.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(refusal));
}

function bodyRefusal(body: unknown): Problem | null {
  // An explicit stack, not recursion: a hostile body must not exhaust the call stack. Two parallel
  // stacks (values, depths) rather than an object per item: this walk visits every value and key
  // of every request, 1,000 usage events at a time.
  const values: unknown[] = [body];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop() as number;
    if (typeof value === 'string') {
      if (mayBeUnstorable(value) && UNSTORABLE.test(value)) return problem(400, 'invalid-text', 'the body holds a NUL character or a lone UTF-16 surrogate');
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) return problem(400, 'invalid-body', `the body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    if (Array.isArray(value)) {
      // An array's keys are its indexes, digits only: nothing to refuse in them.
      for (let index = 0; index < value.length; index += 1) {
        values.push(value[index]);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      values.push(key, (value as Record<string, unknown>)[key]);
      depths.push(depth + 1, depth + 1);
    }
  }
  return null;
}

/**
 * False when `text` has no NUL and no UTF-16 surrogate at all (nearly every string), so UNSTORABLE
 * need not run: a loop over the text, cheaper than a regex call for short strings.
 */
function mayBeUnstorable(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0 || (code >= 0xd800 && code <= 0xdfff)) return true;
  }
  return false;
}
