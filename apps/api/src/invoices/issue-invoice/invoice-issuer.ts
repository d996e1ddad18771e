import { Inject, Injectable } from '@nestjs/common';
import {
  assignNextNumber,
  ConflictError,
  creditGrantedAtIssue,
  customerDecider,
  formatInstant,
  Instant,
  invoiceDecider,
  InvoiceNumberAssignedData,
  InvoiceState,
  InvoiceView,
  issueInvoice,
  NotFoundError,
  streams,
} from '@accrual/billing';
import { StreamBatch, WrongExpectedRevisionError } from '@accrual/event-store';
import { Money } from '@accrual/money';
import { CommandContext, handleCommand, loadStream, MAX_CONFLICT_RETRIES, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
import { CustomerCreditLedger } from '../../payments/customer-credit/customer-credit-ledger';
import { forEachBounded } from '../../shared/bounded-concurrency';
import { ASSIGNMENTS_PER_APPEND_MAX, InvoiceNumberSequence, SequenceHead } from './invoice-number-sequence';

/** Invoices whose numbers are written onto them at once, after one append of many assignments. */
export const FINISHES_IN_FLIGHT_MAX = 8;

/** What `issueDrafts` takes from its caller about the drafts' customers. */
export interface IssueTerms {
  paymentTermsDays(customerId: string): number;
  /** Whether the customer may hold credit in that currency (then the credit step runs). */
  hasCredit(customerId: string, currency: string): boolean;
}

export interface Issued {
  invoice: InvoiceView;
  position: bigint | null;
}

/**
 * IssueInvoice with gapless numbers. A number is first assigned in the sequence stream (at its
 * expected revision, so concurrent issuers take turns), then written onto the invoice. Before
 * assigning, the issuer finishes the trailing assignments whose invoice is not issued yet (a crash
 * in between), so no number is ever left without its invoice. `issueMany` assigns up to
 * ASSIGNMENTS_PER_APPEND_MAX numbers in one append, so a billing run takes one turn through the
 * sequence per page instead of one per invoice (ADR 0003).
 */
@Injectable()
export class InvoiceIssuer {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly sequence: InvoiceNumberSequence,
    private readonly credit: CustomerCreditLedger,
  ) {}

  async issue(invoiceId: string, issuedAt: Instant, context: CommandContext): Promise<Issued> {
    for (let attempt = 0; ; attempt += 1) {
      const head = await this.sequence.readHead();
      const completed = await this.finishTrailing(head, context);
      const own = completed.get(invoiceId);
      if (own) return issuedAsAsked(own, issuedAt);
      if (head.last?.invoiceId === invoiceId) return issuedAsAsked(await this.finish(head.last, context), issuedAt);
      const invoice = await loadStream(this.runtime.eventStore, streams.invoice(invoiceId), invoiceDecider);
      if (invoice.state.status === 'none') throw new NotFoundError('invoice', invoiceId);
      // Let the domain refuse an invoice that is not a draft, before a number is spent on it.
      issueInvoice({ id: invoiceId, issuedAt, number: 'unassigned', paymentTermsDays: 0 }, invoice.state);
      const assignment = assignNextNumber(head.revision, invoice.state, formatInstant(issuedAt));
      try {
        await this.appendAssignments(head, [assignment], context);
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_CONFLICT_RETRIES * 4) continue;
        throw error;
      }
      const issued = await this.finish(assignment.data, context);
      this.sequence.markFinished(assignment.data.sequence);
      return issued;
    }
  }

  /**
   * Issues drafts in the given order with consecutive numbers: one append to the sequence per
   * ASSIGNMENTS_PER_APPEND_MAX invoices, then the numbers are written onto the invoices side by
   * side. An invoice that is issued already answers as it is (a concurrent run issued it).
   */
  async issueMany(invoiceIds: readonly string[], issuedAt: Instant, context: CommandContext): Promise<Map<string, Issued>> {
    const issued = new Map<string, Issued>();
    for (let first = 0; first < invoiceIds.length; first += ASSIGNMENTS_PER_APPEND_MAX) {
      const chunk = invoiceIds.slice(first, first + ASSIGNMENTS_PER_APPEND_MAX);
      for (const [invoiceId, result] of await this.issueChunk(chunk, issuedAt, context)) issued.set(invoiceId, result);
    }
    return issued;
  }

  private async issueChunk(invoiceIds: readonly string[], issuedAt: Instant, context: CommandContext): Promise<Map<string, Issued>> {
    for (let attempt = 0; ; attempt += 1) {
      const head = await this.sequence.readHead();
      const issued = await this.finishTrailing(head, context);
      const drafts = await this.loadDrafts(invoiceIds.filter((invoiceId) => !issued.has(invoiceId)), issuedAt, issued);
      if (drafts.length === 0) return issued;
      const assignments = drafts.map((draft, index) => assignNextNumber(head.revision + index, draft, formatInstant(issuedAt)));
      try {
        await this.appendAssignments(head, assignments, context);
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_CONFLICT_RETRIES * 4) continue;
        throw error;
      }
      await forEachBounded(assignments, FINISHES_IN_FLIGHT_MAX, async ({ data }) => {
        issued.set(data.invoiceId, await this.finish(data, context));
        this.sequence.markFinished(data.sequence);
      });
      return issued;
    }
  }

  /**
   * `issueMany` for drafts the caller has just created (a billing run): their state is known, so
   * nothing is read back. Per chunk: one append of numbers, the customer-credit steps of the few
   * invoices that move credit (`hasCredit`: customers the caller knows to hold some, and negative
   * totals), and one multi-stream append of the `InvoiceIssued` events. If the sequence moved
   * meanwhile (a concurrent issuer), the chunk takes `issueMany`'s path, which reads back.
   */
  async issueDrafts(
    drafts: readonly InvoiceView[],
    issuedAt: Instant,
    terms: IssueTerms,
    context: CommandContext,
  ): Promise<Map<string, Issued>> {
    const issued = new Map<string, Issued>();
    for (let first = 0; first < drafts.length; first += ASSIGNMENTS_PER_APPEND_MAX) {
      const chunk = drafts.slice(first, first + ASSIGNMENTS_PER_APPEND_MAX);
      const result = (await this.issueDraftChunk(chunk, issuedAt, terms, context)) ??
        (await this.issueChunk(chunk.map((draft) => draft.id), issuedAt, context));
      for (const [invoiceId, outcome] of result) issued.set(invoiceId, outcome);
    }
    return issued;
  }

  /** Undefined when the sequence moved meanwhile: the chunk then takes the careful path (nothing of it was written). */
  private async issueDraftChunk(
    drafts: readonly InvoiceView[],
    issuedAt: Instant,
    terms: IssueTerms,
    context: CommandContext,
  ): Promise<Map<string, Issued> | undefined> {
    const head = await this.sequence.readHead();
    // Numbers assigned before and left without their invoice (a crash) are finished first, as always.
    await this.finishTrailing(head, context);
    for (const draft of drafts) issueInvoice({ id: draft.id, issuedAt, number: 'unassigned', paymentTermsDays: 0 }, draft);
    const assignments = drafts.map((draft, index) => assignNextNumber(head.revision + index, draft, formatInstant(issuedAt)));
    try {
      await this.appendAssignments(head, assignments, context);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return undefined;
      throw error;
    }
    const batches: StreamBatch[] = [];
    const issued = new Map<string, Issued>();
    await forEachBounded([...drafts.entries()], FINISHES_IN_FLIGHT_MAX, async ([index, draft]) => {
      const { number } = assignments[index].data;
      const movesCredit = terms.hasCredit(draft.customerId, draft.currency) || !creditGrantedAtIssue(draft).isZero();
      const creditApplied = movesCredit ? await this.creditAtIssue(draft, context) : undefined;
      const command = { id: draft.id, issuedAt, number, paymentTermsDays: terms.paymentTermsDays(draft.customerId), creditApplied };
      const events = issueInvoice(command, draft);
      // The ids `finish` gives the same issue (handleCommand's seed at the draft's revision 0).
      batches[index] = { streamId: streams.invoice(draft.id), events: toNewEvents(events, context, `issue:${draft.id}:${number}@0`) };
      issued.set(draft.id, { invoice: events.reduce((state, event) => invoiceDecider.evolve(state, event), draft as InvoiceState) as InvoiceView, position: null });
    });
    const appended = await this.runtime.eventStore.appendNewMany(batches);
    for (const assignment of assignments) this.sequence.markFinished(assignment.data.sequence);
    // Another issuer that finished one of these first wrote the same event (same id); answer from the log then.
    const duplicates = new Set(appended.duplicateIds);
    for (const [index, batch] of batches.entries()) {
      if (batch.events.some((event) => duplicates.has(event.id))) {
        const reloaded = await loadStream(this.runtime.eventStore, batch.streamId, invoiceDecider);
        issued.set(drafts[index].id, { invoice: reloaded.state as InvoiceView, position: reloaded.lastPosition });
      } else {
        (issued.get(drafts[index].id) as Issued).position = appended.position ?? null;
      }
    }
    return issued;
  }

  /** The drafts among `invoiceIds`, in order; one issued already goes to `issued` as it is. */
  private async loadDrafts(invoiceIds: readonly string[], issuedAt: Instant, issued: Map<string, Issued>): Promise<InvoiceView[]> {
    const drafts: Array<InvoiceView | undefined> = new Array(invoiceIds.length);
    await forEachBounded([...invoiceIds.entries()], FINISHES_IN_FLIGHT_MAX, async ([index, invoiceId]) => {
      const invoice = await loadStream(this.runtime.eventStore, streams.invoice(invoiceId), invoiceDecider);
      if (invoice.state.status === 'none') throw new NotFoundError('invoice', invoiceId);
      if (invoice.state.status !== 'draft') {
        issued.set(invoiceId, { invoice: invoice.state, position: invoice.lastPosition });
        return;
      }
      // Let the domain refuse a draft, as `issue` does, before a number is spent on it.
      issueInvoice({ id: invoiceId, issuedAt, number: 'unassigned', paymentTermsDays: 0 }, invoice.state);
      drafts[index] = invoice.state;
    });
    return drafts.filter((draft): draft is InvoiceView => draft !== undefined);
  }

  /**
   * Finishes the trailing assignments whose invoice does not carry its number yet (a crash
   * between assigning and issuing); answers those, by invoice id. Only the last append's
   * assignments can be unfinished, and an append carries at most ASSIGNMENTS_PER_APPEND_MAX.
   */
  private async finishTrailing(head: SequenceHead, context: CommandContext): Promise<Map<string, Issued>> {
    const completed = new Map<string, Issued>();
    await forEachBounded(this.sequence.unfinished(head), FINISHES_IN_FLIGHT_MAX, async (assignment) => {
      const invoice = await loadStream(this.runtime.eventStore, streams.invoice(assignment.invoiceId), invoiceDecider);
      if (invoice.state.status === 'none' || invoice.state.number !== assignment.number) {
        completed.set(assignment.invoiceId, await this.finish(assignment, context));
      }
      this.sequence.markFinished(assignment.sequence);
    });
    return completed;
  }

  /** Writes an assigned number onto its invoice, unless it is there already. */
  /**
   * Appends numbered assignments to the sequence at the head they were numbered from (a
   * concurrent issuer makes it throw WrongExpectedRevisionError). Ids as `issue` gives them, so
   * either kind of retry recognizes the other's assignment.
   */
  private async appendAssignments(
    head: SequenceHead,
    assignments: ReadonlyArray<ReturnType<typeof assignNextNumber>>,
    context: CommandContext,
  ): Promise<void> {
    await this.runtime.eventStore.append(
      streams.invoiceNumbers(),
      assignments.flatMap((assignment) =>
        toNewEvents([assignment], context, `invoice-number:${assignment.data.sequence}:${assignment.data.invoiceId}`),
      ),
      { expectedRevision: head.revision < 0 ? 'no_stream' : BigInt(head.revision) },
    );
  }

  private async finish(assignment: InvoiceNumberAssignedData, context: CommandContext): Promise<Issued> {
    const invoice = await loadStream(this.runtime.eventStore, streams.invoice(assignment.invoiceId), invoiceDecider);
    if (invoice.state.status !== 'none' && invoice.state.number === assignment.number) {
      return { invoice: invoice.state, position: invoice.lastPosition };
    }
    if (invoice.state.status === 'none') throw new NotFoundError('invoice', assignment.invoiceId);
    const customer = await loadStream(this.runtime.eventStore, streams.customer(invoice.state.customerId), customerDecider);
    const paymentTermsDays = customer.state.status === 'active' ? customer.state.customer.paymentTermsDays : 30;
    const creditApplied = invoice.state.status === 'draft' ? await this.creditAtIssue(invoice.state, context) : undefined;
    const decided = await handleCommand(
      this.runtime.eventStore,
      streams.invoice(assignment.invoiceId),
      invoiceDecider,
      (state) =>
        state.status !== 'none' && state.number === assignment.number
          ? []
          : issueInvoice(
              { id: assignment.invoiceId, issuedAt: Date.parse(assignment.issuedAt), number: assignment.number, paymentTermsDays, creditApplied },
              state,
            ),
      context,
      `issue:${assignment.invoiceId}:${assignment.number}`,
    );
    const issued = decided.state as InvoiceView;
    if (decided.events.length === 0 && creditApplied !== undefined) await this.returnUnusedCredit(issued, creditApplied, context);
    return { invoice: issued, position: decided.position };
  }

  /**
   * Another issuer wrote the issue between our load and our append: `issueDrafts` applies no
   * credit to customers the read models show without any, so credit this step applied meanwhile
   * may be missing from the invoice. What the invoice did not take goes back to the customer.
   */
  private async returnUnusedCredit(invoice: InvoiceView, creditApplied: string, context: CommandContext): Promise<void> {
    const unused = Money.of(creditApplied, invoice.currency).minus(Money.of(invoice.creditApplied, invoice.currency));
    if (!unused.isPositive()) return;
    const { customerId, currency, id } = invoice;
    await this.credit.grant({ customerId, currency, source: 'invoice_void', sourceId: id, amount: unused.toString() }, context);
  }

  /**
   * Customer credit first, on the customer's stream, once per invoice: a crash before the invoice
   * is issued leaves it recorded, and finishing the issue uses it. A negative total becomes credit
   * (nothing is applied to it); otherwise the customer's credit is applied. Answers the credit applied.
   */
  private async creditAtIssue(draft: InvoiceView, context: CommandContext): Promise<string> {
    const granted = creditGrantedAtIssue(draft);
    if (granted.isZero()) return this.credit.applyAtIssue(draft, context);
    const { customerId, currency, id } = draft;
    await this.credit.grant({ customerId, currency, source: 'invoice', sourceId: id, amount: granted.toString() }, context);
    return Money.zero(currency).toString();
  }
}

/**
 * An invoice this request found issued already (its earlier attempt, or a crash it completed): the
 * same `issuedAt` is a retry and answers as it is; another is a second issue of an open invoice.
 */
function issuedAsAsked(issued: Issued, issuedAt: Instant): Issued {
  if (issued.invoice.issuedAt !== formatInstant(issuedAt)) {
    throw new ConflictError('invoice-not-draft', `invoice ${issued.invoice.id} is ${issued.invoice.status}; only a draft can be issued`);
  }
  return issued;
}
