import { Inject, Injectable } from '@nestjs/common';
import {
  applyCustomerCredit,
  creditAppliedTo,
  creditBalance,
  CustomerCredit,
  CustomerCreditSource,
  CustomerEvent,
  customerDecider,
  CustomerState,
  grantCustomerCredit,
  InvoiceView,
  NotFoundError,
  revokeCustomerCredit,
  streams,
} from '@accrual/billing';
import { Money } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { appendStep, StepOutcome } from './process-step';

/**
 * Customer credit on the customer's stream: the steps of payments, credit notes, voids, refunds
 * and issues that move it. Each is idempotent by its cause (payment, credit note, invoice, refund)
 * and appended at the customer's expected revision, so the balance is never spent twice.
 */
@Injectable()
export class CustomerCreditLedger {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  async balance(customerId: string, currency: string): Promise<Money> {
    const customer = await loadStream(this.runtime.eventStore, streams.customer(customerId), customerDecider);
    return customer.state.status === 'none' ? Money.zero(currency) : creditBalance(customer.state.credit, currency);
  }

  grant(
    grant: { customerId: string; currency: string; source: CustomerCreditSource; sourceId: string; amount: string },
    context: CommandContext,
  ): Promise<StepOutcome<CustomerState>> {
    return this.step(grant.customerId, (credit) => grantCustomerCredit(grant, credit), context, `credit-grant:${grant.source}:${grant.sourceId}`);
  }

  /**
   * Applies the customer's credit to an invoice being issued, once; answers the amount applied
   * (the earlier application, when a crashed issue is finished).
   */
  async applyAtIssue(invoice: InvoiceView, context: CommandContext): Promise<string> {
    const outcome = await this.step(
      invoice.customerId,
      (credit) => applyCustomerCredit({ customerId: invoice.customerId, currency: invoice.currency, invoiceId: invoice.id, amountDue: invoice.amountDue }, credit),
      context,
      `credit-apply:${invoice.id}`,
    );
    const state = outcome.state;
    return state.status === 'none' ? Money.zero(invoice.currency).toString() : creditAppliedTo(state.credit, invoice.id, invoice.currency);
  }

  revoke(
    revocation: { customerId: string; currency: string; refundId: string; paymentId: string; amount: string },
    context: CommandContext,
  ): Promise<StepOutcome<CustomerState>> {
    return this.step(revocation.customerId, (credit) => revokeCustomerCredit(revocation, credit), context, `credit-revoke:${revocation.refundId}`);
  }

  private step(
    customerId: string,
    decide: (credit: CustomerCredit) => CustomerEvent[],
    context: CommandContext,
    idSeed: string,
  ): Promise<StepOutcome<CustomerState>> {
    return appendStep(
      this.runtime.eventStore,
      streams.customer(customerId),
      customerDecider,
      (state) => {
        if (state.status === 'none') throw new NotFoundError('customer', customerId);
        return decide(state.credit);
      },
      context,
      idSeed,
    );
  }
}
