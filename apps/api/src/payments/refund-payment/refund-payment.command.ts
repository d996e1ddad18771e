import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Money } from '@accrual/money';
import {
  isRetriedRefund,
  NotFoundError,
  parseRefundRequest,
  PaymentEvent,
  paymentDecider,
  PaymentView,
  refundAmount,
  refundPayment,
  streams,
} from '@accrual/billing';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { CustomerCreditLedger } from '../customer-credit/customer-credit-ledger';
import { appendStep, laterPosition } from '../customer-credit/process-step';
import { PaymentProcess } from '../receive-payment/payment-process';
import { RefundPaymentRequest } from './refund-payment.request';

export class RefundPaymentCommand {
  constructor(
    readonly paymentId: string,
    readonly request: RefundPaymentRequest,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/payments/:id/refund`: `PaymentRefunded` on the payment (at its expected revision, so
 * two refunds never both spend the same refundable amount), then the customer credit the payment
 * made is revoked, as far as the refund reaches. A payment left pending by a crash is completed
 * first; a refund whose revocation a crash left undone is completed by any later refund request.
 * Answers 200 with the payment.
 */
@CommandHandler(RefundPaymentCommand)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentCommand, CommandResult> {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly process: PaymentProcess,
    private readonly credit: CustomerCreditLedger,
  ) {}

  async execute({ paymentId, request, context }: RefundPaymentCommand): Promise<CommandResult> {
    const store = this.runtime.eventStore;
    const loaded = await loadStream(store, streams.payment(paymentId), paymentDecider);
    if (loaded.state.status === 'none') throw new NotFoundError('payment', paymentId);
    // Bad input is refused before anything is completed or written.
    const refund = parseRefundRequest({ paymentId, ...request, wallClockNow: context.receivedAtMs }, loaded.state.currency);
    if (!isRetriedRefund(refund, loaded.state)) refundAmount(refund, loaded.state);
    const completed = await this.process.complete(paymentId, context);
    const payment = completed.payment;
    const creditBalance = await this.credit.balance(payment.customerId, payment.currency);
    const refunded = await appendStep(
      store,
      streams.payment(paymentId),
      paymentDecider,
      (state) => refundPayment(refund, state, { creditBalance }),
      context,
      (events: readonly PaymentEvent[]) => `payment:${paymentId}:${events[0].type === 'PaymentRefunded' ? events[0].data.refundId : 'refund'}`,
    );
    const after = refunded.state as PaymentView;
    let position = laterPosition(completed.position, refunded.position);
    for (const refund of after.refunds) {
      if (!Money.of(refund.creditToRevoke, after.currency).isPositive()) continue;
      const revoked = await this.credit.revoke(
        { customerId: after.customerId, currency: after.currency, refundId: refund.id, paymentId, amount: refund.creditToRevoke },
        context,
      );
      position = laterPosition(position, revoked.position);
    }
    return new CommandResult(200, after, position);
  }
}
