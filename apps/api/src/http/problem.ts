import { HttpException } from '@nestjs/common';
import { DomainError, FieldError } from '@accrual/billing';
import { DuplicateEventIdError, IntegrityNotSupportedError, WrongExpectedRevisionError } from '@accrual/event-store';
import { MoneyError } from '@accrual/money';

/** RFC 9457 problem details, the body of every error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/**
 * The problem `type` is the rule's bare name (`idempotency-key-reused`), a relative URI reference
 * as RFC 9457 allows; docs/api.md lists every type.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  501: 'Not implemented',
  503: 'Service unavailable',
};

export function problem(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: code,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** A problem raised deliberately by the HTTP layer (auth, read-your-writes, idempotency). */
export class ProblemException extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
  }
}

const DOMAIN_STATUS = { invalid: 400, not_found: 404, conflict: 409, rule: 422 } as const;

/** The one mapping from anything thrown to a problem (STYLE: errors mapped once to HTTP). */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemException) return { problem: error.problem, headers: error.headers };
  if (error instanceof DomainError) {
    const errors = 'errors' in error ? (error as { errors: FieldError[] }).errors : undefined;
    return { problem: problem(DOMAIN_STATUS[error.kind], error.code, error.message, errors), headers: {} };
  }
  if (error instanceof MoneyError) return { problem: problem(400, error.code, error.message), headers: {} };
  if (error instanceof WrongExpectedRevisionError) {
    return { problem: problem(409, 'concurrent-modification', 'the resource changed concurrently; retry'), headers: {} };
  }
  if (error instanceof DuplicateEventIdError) {
    return { problem: problem(409, 'duplicate-event', error.message), headers: {} };
  }
  if (error instanceof IntegrityNotSupportedError) {
    return { problem: problem(501, 'integrity-not-supported', error.message), headers: {} };
  }
  if (error instanceof HttpException) return { problem: fromHttpException(error), headers: {} };
  return { problem: problem(500, 'internal-error', 'the server failed to handle the request'), headers: {} };
}

function fromHttpException(error: HttpException): Problem {
  const status = error.getStatus();
  const codes: Record<number, string> = {
    400: 'invalid-input',
    404: 'route-not-found',
    405: 'method-not-allowed',
    413: 'payload-too-large',
    415: 'unsupported-media-type',
  };
  return problem(status, codes[status] ?? `http-${status}`, error.message);
}
