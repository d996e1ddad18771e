import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, InvalidInputError } from '@accrual/billing';

/**
 * One global pipe (NestJS): DTOs check a request's shape (types, required fields, no unknown
 * fields); the domain then checks its meaning (decimal formats, dates, business rules).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidInputError(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: stripProperty(message, error.property) }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** class-validator messages start with the property name, which `field` already names. */
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
