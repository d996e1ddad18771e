import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  assertNewOrRetriedCreditNote,
  creditInvoice,
  creditNoteDecider,
  CreditNoteView,
  invoiceDecider,
  issueCreditNote,
  parseCreditNoteRequest,
  streams,
} from '@accrual/billing';
import { Money } from '@accrual/money';
import { CommandContext, loadStream, Runtime, RUNTIME } from '@accrual/platform';
import { CommandResult } from '../../http/command-result';
import { newId } from '../../shared/new-id';
import { CustomerCreditLedger } from '../../payments/customer-credit/customer-credit-ledger';
import { appendStep, laterPosition } from '../../payments/customer-credit/process-step';
import { IssueCreditNoteRequest } from './issue-credit-note.request';

export class IssueCreditNoteCommand {
  constructor(
    readonly request: IssueCreditNoteRequest,
    readonly context: CommandContext,
  ) {}
}

/**
 * `POST /v1/credit-notes`, in three idempotent steps: (1) `InvoiceCredited` on the invoice, where
 * the rules are decided at its expected revision; (2) `CreditNoteIssued` on `credit-note-<id>`;
 * (3) the part beyond the amount due granted as customer credit. The same request again completes
 * what a crash left undone and answers 201 with the credit note.
 */
@CommandHandler(IssueCreditNoteCommand)
export class IssueCreditNoteHandler implements ICommandHandler<IssueCreditNoteCommand, CommandResult> {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly credit: CustomerCreditLedger,
  ) {}

  async execute({ request, context }: IssueCreditNoteCommand): Promise<CommandResult> {
    const store = this.runtime.eventStore;
    const id = request.id ?? newId('cn');
    const invoice = await loadStream(store, streams.invoice(request.invoiceId), invoiceDecider);
    const note = parseCreditNoteRequest({ ...request, id, wallClockNow: context.receivedAtMs }, invoice.state);
    const existing = await loadStream(store, streams.creditNote(id), creditNoteDecider);
    let position = existing.lastPosition;
    if (assertNewOrRetriedCreditNote(note, existing.state) === 'new') {
      const credited = await appendStep(
        store,
        streams.invoice(note.invoiceId),
        invoiceDecider,
        (state) => creditInvoice({ invoiceId: note.invoiceId, creditNoteId: id, amount: note.amount.toString(), at: note.issuedAt }, state),
        context,
        `credit-note:${id}:invoice`,
      );
      const issued = await appendStep(
        store,
        streams.creditNote(id),
        creditNoteDecider,
        (state) => issueCreditNote(note, state, credited.state),
        context,
        `credit-note:${id}:issued`,
      );
      position = laterPosition(credited.position, issued.position);
    }
    const issued = (await loadStream(store, streams.creditNote(id), creditNoteDecider)).state as CreditNoteView;
    if (Money.of(issued.creditAmount, issued.currency).isPositive()) {
      const granted = await this.credit.grant(
        { customerId: issued.customerId, currency: issued.currency, source: 'credit_note', sourceId: id, amount: issued.creditAmount },
        context,
      );
      position = laterPosition(position, granted.position);
    }
    return new CommandResult(201, issued, position);
  }
}
