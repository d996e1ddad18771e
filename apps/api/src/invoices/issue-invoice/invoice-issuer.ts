import { Inject, Injectable } from '@nestjs/common';
import {
  assignNextNumber,
  ConflictError,
  creditBalance,
  creditGrantedAtIssue,
  customerDecider,
  CustomerState,
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
import { AppendManyResult, ExpectedStreamBatch, WrongExpectedRevisionError } from '@accrual/event-store';
import { Money } from '@accrual/money';
import { CommandContext, handleCommand, LoadedStream, loadStream, MAX_CONFLICT_RETRIES, Runtime, RUNTIME, toNewEvents } from '@accrual/platform';
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

/** One draft for `writeIssues`: as read at `revision`, issued at `issuedAt` for the request of `context`. */
interface IssueItem {
  draft: InvoiceView;
  revision: bigint;
  issuedAt: Instant;
  context: CommandContext;
}

/** What one invoice of a `writeIssues` got: issued, or the error its issue failed with (its number stays assigned, unfinished). */
type IssueOutcome = { issued: Issued } | { error: unknown };

/** A single issue waiting for its group (`issue`). */
interface IssueRequest {
  invoiceId: string;
  issuedAt: Instant;
  context: CommandContext;
  resolve(issued: Issued): void;
  reject(error: unknown): void;
}

/**
 * IssueInvoice with gapless numbers. A number is first assigned in the sequence stream (at its
 * expected revision, so concurrent issuers take turns), then written onto the invoice. Before
 * assigning, the issuer finishes the trailing assignments whose invoice is not issued yet (a crash
 * in between), so no number is ever left without its invoice. `issueMany` assigns up to
 * ASSIGNMENTS_PER_APPEND_MAX numbers in one append, so a billing run takes one turn through the
 * sequence per page instead of one per invoice (ADR 0003); `issue` groups the single issues that
 * arrive while one is being written the same way.
 */
@Injectable()
export class InvoiceIssuer {
  /**
   * Single issues waiting for their turn, in arrival order. Numbering is serial (an issuer may
   * append numbers only once every earlier number is on its invoice), so one group is written at a
   * time (`draining`), and the issues that arrive meanwhile form the next group: one turn through
   * the sequence and one append of their `InvoiceIssued` events for all of them, instead of ~10
   * statements each one after another (15 issues/s in the projection-lag bench). Issues of other
   * processes (and billing runs) still take turns through the sequence's expected revision.
   */
  private readonly waiting: IssueRequest[] = [];
  private draining = false;

  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly sequence: InvoiceNumberSequence,
    private readonly credit: CustomerCreditLedger,
  ) {}

  issue(invoiceId: string, issuedAt: Instant, context: CommandContext): Promise<Issued> {
    return new Promise<Issued>((resolve, reject) => {
      this.waiting.push({ invoiceId, issuedAt, context, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** Writes the waiting issues group by group until none is left. Never rejects: each request gets its own answer. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, ASSIGNMENTS_PER_APPEND_MAX);
        try {
          await this.issueGroup(group);
        } catch (error) {
          // Settles whatever the group left open (settling a settled promise changes nothing).
          for (const request of group) request.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Issues a group of single issues, in arrival order, each answered as it would have been alone
   * at this head: an invoice whose number this issuer finished, or the head's last one, answers as
   * it is (the same `issuedAt`) or 409; a missing invoice 404; one the domain refuses its own
   * problem, without spending a number. The rest get consecutive numbers in one append and their
   * `InvoiceIssued` events in one more. A repeat of an issue taken earlier in the group answers as
   * the same issue would alone right after it: as issued (the same `issuedAt`) or 409.
   */
  private async issueGroup(group: readonly IssueRequest[]): Promise<void> {
    let pending = group;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const head = await this.sequence.readHead();
      const completed = await this.finishTrailing(head, pending[0].context);
      const invoiceIds = [...new Set(pending.map((request) => request.invoiceId))].filter((id) => !completed.has(id) && head.last?.invoiceId !== id);
      const invoices = new Map<string, LoadedStream<InvoiceState>>();
      await forEachBounded(invoiceIds, FINISHES_IN_FLIGHT_MAX, async (invoiceId) => {
        invoices.set(invoiceId, await loadStream(this.runtime.eventStore, streams.invoice(invoiceId), invoiceDecider));
      });
      const items: IssueItem[] = [];
      const owners: IssueRequest[] = [];
      const repeats: IssueRequest[] = [];
      for (const request of pending) {
        const { invoiceId, issuedAt, context } = request;
        try {
          const own = completed.get(invoiceId);
          if (own) {
            request.resolve(issuedAsAsked(own, issuedAt));
          } else if (head.last?.invoiceId === invoiceId) {
            request.resolve(issuedAsAsked(await this.finish(head.last, context), issuedAt));
          } else if (owners.some((owner) => owner.invoiceId === invoiceId)) {
            repeats.push(request);
          } else {
            const invoice = invoices.get(invoiceId) as LoadedStream<InvoiceState>;
            if (invoice.state.status === 'none' || invoice.revision === null) throw new NotFoundError('invoice', invoiceId);
            // Let the domain refuse an invoice that is not a draft, before a number is spent on it.
            issueInvoice({ id: invoiceId, issuedAt, number: 'unassigned', paymentTermsDays: 0 }, invoice.state);
            items.push({ draft: invoice.state, revision: invoice.revision, issuedAt, context });
            owners.push(request);
          }
        } catch (error) {
          request.reject(error);
        }
      }
      if (items.length === 0) return;
      let outcomes: Map<string, IssueOutcome>;
      try {
        outcomes = await this.writeIssues(head, items, await this.termsOf(items));
      } catch (error) {
        if (error instanceof WrongExpectedRevisionError && attempt < MAX_CONFLICT_RETRIES * 4) {
          pending = [...owners, ...repeats].sort((one, other) => group.indexOf(one) - group.indexOf(other));
          continue;
        }
        throw error;
      }
      for (const request of [...owners, ...repeats]) {
        const outcome = outcomes.get(request.invoiceId) as IssueOutcome;
        if ('error' in outcome) request.reject(outcome.error);
        else if (repeats.includes(request)) settle(request, () => issuedAsAsked(outcome.issued, request.issuedAt));
        else request.resolve(outcome.issued);
      }
      return;
    }
  }

  /**
   * The terms of single issues, from their customers' streams: payment terms as the customer
   * sets them (30 days without a profile), and the credit step for customers with a balance in
   * the currency or credit already applied to one of these invoices (an earlier attempt that
   * stopped after its credit step).
   */
  private async termsOf(items: readonly IssueItem[]): Promise<IssueTerms> {
    const customers = new Map<string, CustomerState>();
    const customerIds = [...new Set(items.map((item) => item.draft.customerId))];
    await forEachBounded(customerIds, FINISHES_IN_FLIGHT_MAX, async (customerId) => {
      customers.set(customerId, (await loadStream(this.runtime.eventStore, streams.customer(customerId), customerDecider)).state);
    });
    const applied = new Set(
      items
        .filter(({ draft }) => {
          const customer = customers.get(draft.customerId);
          return customer?.status === 'active' && customer.credit.applications[draft.id] !== undefined;
        })
        .map(({ draft }) => draft.customerId),
    );
    return {
      paymentTermsDays: (customerId) => {
        const customer = customers.get(customerId);
        return customer?.status === 'active' ? customer.customer.paymentTermsDays : 30;
      },
      hasCredit: (customerId, currency) => {
        const customer = customers.get(customerId);
        return customer?.status === 'active' && (applied.has(customerId) || creditBalance(customer.credit, currency).isPositive());
      },
    };
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
        await this.appendAssignments(head, assignments, assignments.map(() => context));
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
   * totals), and one multi-stream append of the `InvoiceIssued` events (`writeIssues`). If the
   * sequence moved meanwhile (a concurrent issuer), the chunk takes `issueMany`'s path, which reads back.
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
    let outcomes: Map<string, IssueOutcome>;
    try {
      // A draft just created is at revision 0.
      outcomes = await this.writeIssues(head, drafts.map((draft) => ({ draft, revision: 0n, issuedAt, context })), terms);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return undefined;
      throw error;
    }
    const issued = new Map<string, Issued>();
    for (const [invoiceId, outcome] of outcomes) {
      if ('error' in outcome) throw outcome.error;
      issued.set(invoiceId, outcome.issued);
    }
    return issued;
  }

  /**
   * Assigns consecutive numbers to `items` in one append at `head` (WrongExpectedRevisionError
   * when the sequence moved: nothing is written then), runs the customer-credit steps of the
   * invoices that move credit, and appends every `InvoiceIssued` in one multi-stream append at
   * the revision its draft was read at, with the event ids `finish` gives the same issue, so each
   * answers with its own event's position. An invoice whose issue fails keeps its number
   * unfinished (the next issuer finishes it) and answers its error, without failing the others.
   * When an invoice moved since it was read (another issuer finished its number first, or any
   * other change), nothing of that append is written and each invoice takes `finish`, which reads back.
   */
  private async writeIssues(head: SequenceHead, items: readonly IssueItem[], terms: IssueTerms): Promise<Map<string, IssueOutcome>> {
    const assignments = items.map((item, index) => assignNextNumber(head.revision + index, item.draft, formatInstant(item.issuedAt)));
    await this.appendAssignments(head, assignments, items.map((item) => item.context));
    const outcomes = new Map<string, IssueOutcome>();
    const batches: Array<ExpectedStreamBatch | undefined> = new Array(items.length);
    // One customer's credit steps one after another: side by side they would conflict on its stream.
    const creditTurns = new Map<string, Promise<unknown>>();
    await forEachBounded([...items.entries()], FINISHES_IN_FLIGHT_MAX, async ([index, { draft, revision, issuedAt, context }]) => {
      const { number } = assignments[index].data;
      try {
        const movesCredit = terms.hasCredit(draft.customerId, draft.currency) || !creditGrantedAtIssue(draft).isZero();
        const creditApplied = movesCredit ? await inTurn(creditTurns, draft.customerId, () => this.creditAtIssue(draft, context)) : undefined;
        const command = { id: draft.id, issuedAt, number, paymentTermsDays: terms.paymentTermsDays(draft.customerId), creditApplied };
        const events = issueInvoice(command, draft);
        // The ids `finish` gives the same issue (handleCommand's seed at the draft's revision).
        batches[index] = {
          streamId: streams.invoice(draft.id),
          events: toNewEvents(events, context, `issue:${draft.id}:${number}@${revision}`),
          expectedRevision: revision,
        };
        const invoice = events.reduce((state, event) => invoiceDecider.evolve(state, event), draft as InvoiceState) as InvoiceView;
        outcomes.set(draft.id, { issued: { invoice, position: null } });
      } catch (error) {
        outcomes.set(draft.id, { error });
      }
    });
    const written = [...batches.entries()].filter((entry): entry is [number, ExpectedStreamBatch] => entry[1] !== undefined);
    let appended: AppendManyResult | undefined;
    try {
      appended = written.length === 0 ? undefined : await this.runtime.eventStore.appendMany(written.map(([, batch]) => batch));
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    if (appended) {
      const eventsInAll = written.reduce((count, [, batch]) => count + batch.events.length, 0);
      await forEachBounded([...written.entries()], FINISHES_IN_FLIGHT_MAX, async ([at, [index, batch]]) => {
        const { draft } = items[index];
        if (appended.appendedCount === eventsInAll) {
          (outcomes.get(draft.id) as { issued: Issued }).issued.position = appended.results[at].position;
        } else {
          // Another issuer finished some of these first, with the same events' ids: answer from the log.
          const reloaded = await loadStream(this.runtime.eventStore, batch.streamId, invoiceDecider);
          outcomes.set(draft.id, { issued: { invoice: reloaded.state as InvoiceView, position: reloaded.lastPosition } });
        }
        this.sequence.markFinished(assignments[index].data.sequence);
      });
    } else {
      await forEachBounded(written, FINISHES_IN_FLIGHT_MAX, async ([index]) => {
        const { draft, context } = items[index];
        try {
          outcomes.set(draft.id, { issued: await this.finish(assignments[index].data, context) });
          this.sequence.markFinished(assignments[index].data.sequence);
        } catch (error) {
          outcomes.set(draft.id, { error });
        }
      });
    }
    return outcomes;
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
   * concurrent issuer makes it throw WrongExpectedRevisionError), each with its own request's
   * context. Ids as `issue` gives them, so either kind of retry recognizes the other's assignment.
   */
  private async appendAssignments(
    head: SequenceHead,
    assignments: ReadonlyArray<ReturnType<typeof assignNextNumber>>,
    contexts: readonly CommandContext[],
  ): Promise<void> {
    await this.runtime.eventStore.append(
      streams.invoiceNumbers(),
      assignments.flatMap((assignment, index) =>
        toNewEvents([assignment], contexts[index], `invoice-number:${assignment.data.sequence}:${assignment.data.invoiceId}`),
      ),
      { expectedRevision: head.revision < 0 ? 'no_stream' : BigInt(head.revision) },
    );
    this.sequence.appended(head, assignments.map((assignment) => assignment.data));
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

/** Answers a request, or refuses it with what `answer` throws. */
function settle(request: IssueRequest, answer: () => Issued): void {
  try {
    request.resolve(answer());
  } catch (error) {
    request.reject(error);
  }
}

/** Runs `work` after the previous work of the same key has settled. */
function inTurn<T>(turns: Map<string, Promise<unknown>>, key: string, work: () => Promise<T>): Promise<T> {
  const result = (turns.get(key) ?? Promise.resolve()).then(work);
  turns.set(key, result.catch(() => undefined));
  return result;
}
