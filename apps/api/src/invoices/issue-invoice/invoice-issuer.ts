import { Inject, Injectable } from '@nestjs/common';
import {
  assignNextNumber,
  customerDecider,
  formatInstant,
  Instant,
  invoiceDecider,
  InvoiceNumberAssignedData,
  InvoiceView,
  issueInvoice,
  NotFoundError,
  streams,
} from '@accrual/billing';
import { WrongExpectedRevisionError } from '@accrual/event-store';
import { CommandContext, handleCommand, loadStream, MAX_CONFLICT_RETRIES, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
import { InvoiceNumberSequence } from './invoice-number-sequence';

export interface Issued {
  invoice: InvoiceView;
  position: bigint | null;
}

/**
 * IssueInvoice with gapless numbers. A number is first assigned in the sequence stream (at its
 * expected revision, so concurrent issuers take turns), then written onto the invoice. Before
 * assigning, the issuer finishes the last assignment if its invoice is not issued yet (a crash in
 * between), so no number is ever left without its invoice.
 */
@Injectable()
export class InvoiceIssuer {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly sequence: InvoiceNumberSequence,
  ) {}

  async issue(invoiceId: string, issuedAt: Instant, context: CommandContext): Promise<Issued> {
    for (let attempt = 0; ; attempt += 1) {
      const head = await this.sequence.readHead();
      if (head.last) {
        const finished = await this.finish(head.last, context);
        if (head.last.invoiceId === invoiceId) return finished;
      }
      const invoice = await loadStream(this.runtime.eventStore, streams.invoice(invoiceId), invoiceDecider);
      if (invoice.state.status === 'none') throw new NotFoundError('invoice', invoiceId);
      // Let the domain refuse an invoice that is not a draft, before a number is spent on it.
      issueInvoice({ id: invoiceId, issuedAt, number: 'unassigned', paymentTermsDays: 0 }, invoice.state);
      const assignment = assignNextNumber(head.revision, invoice.state, formatInstant(issuedAt));
      try {
        await this.runtime.eventStore.append(
          streams.invoiceNumbers(),
          toNewEvents([assignment], context, `invoice-number:${assignment.data.sequence}:${invoiceId}`),
          { expectedRevision: head.revision < 0 ? 'no_stream' : BigInt(head.revision) },
        );
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_CONFLICT_RETRIES * 4) continue;
        throw error;
      }
      return this.finish(assignment.data, context);
    }
  }

  /** Writes an assigned number onto its invoice, unless it is there already. */
  private async finish(assignment: InvoiceNumberAssignedData, context: CommandContext): Promise<Issued> {
    const invoice = await loadStream(this.runtime.eventStore, streams.invoice(assignment.invoiceId), invoiceDecider);
    if (invoice.state.status !== 'none' && invoice.state.number === assignment.number) {
      return { invoice: invoice.state, position: invoice.lastPosition };
    }
    if (invoice.state.status === 'none') throw new NotFoundError('invoice', assignment.invoiceId);
    const customer = await loadStream(this.runtime.eventStore, streams.customer(invoice.state.customerId), customerDecider);
    const paymentTermsDays = customer.state.status === 'active' ? customer.state.customer.paymentTermsDays : 30;
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.invoice(assignment.invoiceId),
      invoiceDecider,
      (state) =>
        state.status !== 'none' && state.number === assignment.number
          ? []
          : issueInvoice(
              { id: assignment.invoiceId, issuedAt: Date.parse(assignment.issuedAt), number: assignment.number, paymentTermsDays },
              state,
            ),
      context,
      `issue:${assignment.invoiceId}:${assignment.number}`,
    );
    return { invoice: decided.state as InvoiceView, position: decided.position };
  }
}
