import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  CustomerProfile,
  customerDecider,
  invoiceDecider,
  InvoiceView,
  NotFoundError,
  PAYMENT_ALLOCATIONS_MAX,
  PaymentContext,
  paymentDecider,
  PaymentRequest,
  parsePaymentRequest,
  receivePayment,
  streams,
} from '@accrual/billing';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { openInvoiceIdsOldestDueFirst } from '@accrual/read-models';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { waitForReadModels } from '../../shared/read-models';
import { appendStep, laterPosition } from '../customer-credit/process-step';
import { PaymentProcess } from './payment-process';
import { ReceivePaymentRequest } from './receive-payment.request';

export class ReceivePaymentCommand {
  constructor(
    readonly request: ReceivePaymentRequest,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/payments`. Step 1 writes `PaymentReceived` with the allocation plan (expected
 * `no_stream`: the id is taken once); the payment process does the rest. The same request again
 * (same id and body) finds the payment and completes whatever a crash left undone, appending
 * nothing that exists; it answers 201 with the payment as the first request did.
 */
@CommandHandler(ReceivePaymentCommand)
export class ReceivePaymentHandler implements ICommandHandler<ReceivePaymentCommand, CommandResult> {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly process: PaymentProcess,
  ) {}

  async execute({ request, context }: ReceivePaymentCommand): Promise<CommandResult> {
    const store = this.runtime.eventStore;
    const payment = parsePaymentRequest({ ...request, id: request.id ?? newId('pay') }, context.receivedAtMs);
    const customer = await loadStream(store, streams.customer(payment.customerId), customerDecider);
    if (customer.state.status === 'none') throw new NotFoundError('customer', payment.customerId);
    const existing = await loadStream(store, streams.payment(payment.id), paymentDecider);
    const paymentContext =
      existing.state.status === 'none'
        ? await this.allocationContext(payment, customer.state.customer)
        : { customer: customer.state.customer, invoice: null, openInvoices: [] };
    const received = await appendStep(
      store,
      streams.payment(payment.id),
      paymentDecider,
      (state) => receivePayment(payment, state, paymentContext),
      context,
      `payment:${payment.id}:received`,
    );
    const completed = await this.process.complete(payment.id, context);
    return new CommandResult(201, completed.payment, laterPosition(received.position, completed.position));
  }

  /**
   * The invoices the payment may go to, read from their streams (authoritative). Without a named
   * invoice, the read model finds the customer's open ones, once it has caught up with the log.
   */
  private async allocationContext(payment: PaymentRequest, customer: CustomerProfile): Promise<PaymentContext> {
    const store = this.runtime.eventStore;
    if (payment.invoiceId !== null) {
      const invoice = await loadStream(store, streams.invoice(payment.invoiceId), invoiceDecider);
      return { customer, invoice: invoice.state, openInvoices: [] };
    }
    await waitForReadModels(this.runtime, await store.headPosition());
    const ids = await openInvoiceIdsOldestDueFirst(this.runtime.sql, customer.id, payment.amount.currency, PAYMENT_ALLOCATIONS_MAX);
    const openInvoices: InvoiceView[] = [];
    for (const id of ids) {
      const invoice = await loadStream(store, streams.invoice(id), invoiceDecider);
      if (invoice.state.status !== 'none') openInvoices.push(invoice.state);
    }
    return { customer, invoice: null, openInvoices };
  }
}
