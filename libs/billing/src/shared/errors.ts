/**
 * Domain errors: a small hierarchy, mapped once to HTTP (problem+json) by the API.
 * `code` is the stable, documented name of the rule (it becomes the problem `type`).
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'rule';

export interface FieldError {
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: 400, with the fields at fault. */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid' as const;

  constructor(
    readonly errors: FieldError[],
    message = errors.map((error) => `${error.field}: ${error.message}`).join('; '),
  ) {
    super('invalid-input', message);
  }

  static field(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }]);
  }
}

/** A named resource does not exist: 404. */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;

  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource}-not-found`, `${resource} ${id} does not exist`);
  }
}

/** The resource's state forbids the command (an id that exists, voiding a paid invoice): 409. */
export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
}

/** A business rule refused the command: 422; `code` names the rule. */
export class RuleViolationError extends DomainError {
  readonly kind = 'rule' as const;
}
