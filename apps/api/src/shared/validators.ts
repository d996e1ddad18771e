import { registerDecorator, ValidationOptions } from 'class-validator';

/** A decimal string, or a whole JSON number (quantities, CONTRACT §2); the domain checks the digits. */
export function IsDecimalLike(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDecimalLike',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a decimal string, e.g. "12.50"`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value)),
      },
    });
}

/** Money amounts are decimal strings only, never JSON numbers (CONTRACT §2). */
export function IsDecimalString(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDecimalString',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a decimal string, e.g. "12.50" (not a JSON number)`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' },
    });
}

export const ID_REGEX = /^[A-Za-z0-9_-]{1,64}$/;
export const ID_MESSAGE = 'must match ^[A-Za-z0-9_-]{1,64}$';
