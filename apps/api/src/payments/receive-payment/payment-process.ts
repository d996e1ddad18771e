import { Inject, Injectable } from '@nestjs/common';
import {
  amountTakenBy,
  applyPaymentShare,
  invoiceDecider,
  NotFoundError,
  PaymentAllocation,
  paymentDecider,
  PaymentView,
  settlePayment,
  streams,
} from '@accrual/billing';
import { Money } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CustomerCreditLedger } from '../customer-credit/customer-credit-ledger';
import { appendStep, laterPosition } from '../customer-credit/process-step';

export interface PaymentOutcome {
  payment: PaymentView;
  position: bigint | null;
}

/**
 * Steps 2–4 of a payment whose `PaymentReceived` is written: apply each planned share to its
 * invoice, grant what no invoice took as customer credit, record `PaymentSettled`. Every step is
 * idempotent, so running this again for the same payment (a retried request, or a refund that
 * finds the payment pending after a crash) completes what is missing and writes nothing twice.
 */
@Injectable()
export class PaymentProcess {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly credit: CustomerCreditLedger,
  ) {}

  async complete(paymentId: string, context: CommandContext): Promise<PaymentOutcome> {
    const loaded = await loadStream(this.runtime.eventStore, streams.payment(paymentId), paymentDecider);
    if (loaded.state.status === 'none') throw new NotFoundError('payment', paymentId);
    const payment = loaded.state;
    if (payment.status === 'settled') return { payment, position: loaded.lastPosition };
    let position = loaded.lastPosition;
    const applied: PaymentAllocation[] = [];
    // Bounded: a plan holds at most PAYMENT_ALLOCATIONS_MAX shares.
    for (const share of payment.allocations) {
      const outcome = await this.applyShare(payment, share, context);
      applied.push({ invoiceId: share.invoiceId, amount: outcome.amount });
      position = laterPosition(position, outcome.position);
    }
    const allocated = applied.reduce((total, share) => total.plus(Money.of(share.amount, payment.currency)), Money.zero(payment.currency));
    const surplus = Money.of(payment.amount, payment.currency).minus(allocated);
    if (surplus.isPositive()) {
      const granted = await this.credit.grant(
        { customerId: payment.customerId, currency: payment.currency, source: 'payment', sourceId: payment.id, amount: surplus.toString() },
        context,
      );
      position = laterPosition(position, granted.position);
    }
    const settled = await appendStep(
      this.runtime.eventStore,
      streams.payment(payment.id),
      paymentDecider,
      (state) => settlePayment(state, applied),
      context,
      `payment:${payment.id}:settled`,
    );
    return { payment: settled.state as PaymentView, position: laterPosition(position, settled.position) };
  }

  private async applyShare(payment: PaymentView, share: PaymentAllocation, context: CommandContext) {
    const outcome = await appendStep(
      this.runtime.eventStore,
      streams.invoice(share.invoiceId),
      invoiceDecider,
      (invoice) => applyPaymentShare(payment, share, invoice),
      context,
      `payment:${payment.id}:invoice:${share.invoiceId}`,
    );
    return { amount: amountTakenBy(outcome.state, payment.id, payment.currency), position: outcome.position };
  }
}
