import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { invoiceDecider, InvoiceView, streams, voidInvoice } from '@accrual/billing';
import { Money } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { CustomerCreditLedger } from '../../payments/customer-credit/customer-credit-ledger';
import { appendStep, laterPosition } from '../../payments/customer-credit/process-step';
import { VoidInvoiceRequest } from './void-invoice.request';

export class VoidInvoiceCommand {
  constructor(
    readonly invoiceId: string,
    readonly request: VoidInvoiceRequest,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/invoices/:id/void`: `InvoiceVoided`, then the customer credit applied at issue goes
 * back to the customer. Voiding a void invoice is refused (409), but first completes a return of
 * credit that a crash left undone. Answers 200 with the invoice.
 */
@CommandHandler(VoidInvoiceCommand)
export class VoidInvoiceHandler implements ICommandHandler<VoidInvoiceCommand, CommandResult> {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly credit: CustomerCreditLedger,
  ) {}

  async execute({ invoiceId, request, context }: VoidInvoiceCommand): Promise<CommandResult> {
    const store = this.runtime.eventStore;
    const before = await loadStream(store, streams.invoice(invoiceId), invoiceDecider);
    if (before.state.status === 'void') await this.returnCredit(before.state, context);
    const voided = await appendStep(
      store,
      streams.invoice(invoiceId),
      invoiceDecider,
      (state) => voidInvoice({ invoiceId, ...request, wallClockNow: context.receivedAtMs }, state),
      context,
      `invoice:${invoiceId}:void`,
    );
    const invoice = voided.state as InvoiceView;
    const returned = await this.returnCredit(invoice, context);
    return new CommandResult(200, invoice, laterPosition(voided.position, returned));
  }

  private async returnCredit(invoice: InvoiceView, context: CommandContext): Promise<bigint | null> {
    if (!Money.of(invoice.creditApplied, invoice.currency).isPositive()) return null;
    const granted = await this.credit.grant(
      { customerId: invoice.customerId, currency: invoice.currency, source: 'invoice_void', sourceId: invoice.id, amount: invoice.creditApplied },
      context,
    );
    return granted.position;
  }
}
