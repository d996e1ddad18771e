import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Request } from 'express';
import { findCardData } from '@accrual/platform';
import { problem, ProblemException } from './problem';

/**
 * PCI DSS: no cardholder data enters Accrual (docs/compliance.md). Runs after authentication and
 * before anything else sees the body (idempotency records, handlers, the log): a body holding
 * a card number anywhere is refused with 422 `card-data-refused`, naming the fields, and nothing
 * is stored. The card number itself is never echoed.
 */
@Injectable()
export class CardDataGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body: unknown = context.switchToHttp().getRequest<Request>().body;
    const fields = findCardData(body);
    if (fields.length > 0) {
      throw new ProblemException(
        problem(
          422,
          'card-data-refused',
          'the request holds what looks like a payment card number; Accrual accepts no card data (send an opaque payment reference instead)',
          fields.map((field) => ({ field, message: 'looks like a payment card number' })),
        ),
      );
    }
    return true;
  }
}
