import fc from 'fast-check';
import { Money } from '@accrual/money';
import {
  assertNewOrRetriedCreditNote,
  creditNoteDecider,
  CreditNoteEvent,
  CreditNoteView,
  issueCreditNote,
  parseCreditNoteRequest,
} from '../credit-notes/credit-note';
import { customerDecider, CustomerEvent } from '../customers/customer';
import { applyCustomerCredit, creditAppliedTo, grantCustomerCredit, revokeCustomerCredit } from '../customers/customer-credit';
import {
  createDraftInvoice,
  creditInvoice,
  invoiceDecider,
  InvoiceEvent,
  InvoiceView,
  issueInvoice,
  markInvoiceUncollectible,
  voidInvoice,
} from '../invoices/invoice';
import { Decider, DomainEvent, fold } from '../shared/decider';
import { DomainError, NotFoundError } from '../shared/errors';
import {
  amountTakenBy,
  applyPaymentShare,
  isRetriedRefund,
  parsePaymentRequest,
  parseRefundRequest,
  PaymentAllocation,
  paymentDecider,
  PaymentEvent,
  PaymentView,
  receivePayment,
  refundAmount,
  refundPayment,
  settlePayment,
} from './payment';
import { customerCreated, NOW } from './testing/settlement-fixtures';

/**
 * A deterministic simulation of the settlement processes (TigerBeetle's VOPR, in miniature): random
 * sequences of invoices, issues, payments, credit notes, voids, write-offs and refunds, each run
 * step by step exactly as the API's handlers run them, some of them crashing after a random
 * number of appends and retried later, in between other commands. After every command the books
 * are checked: no money created or lost, no amount due below zero, no credit below zero.
 */

class Crash extends Error {}

const CURRENCY = 'USD';
const usd = (amount: string) => Money.of(amount, CURRENCY);
const zero = Money.zero(CURRENCY);
const cents = (value: number) => Money.fromMinorUnits(BigInt(value), CURRENCY).toString();
const sumOf = (amounts: readonly string[]) => amounts.reduce((total, amount) => total.plus(usd(amount)), zero);

class World {
  customer: CustomerEvent[] = [customerCreated];
  invoices = new Map<string, InvoiceEvent[]>();
  payments = new Map<string, PaymentEvent[]>();
  creditNotes = new Map<string, CreditNoteEvent[]>();
  /** Commands that crashed part way; a retry runs the same command again from the start. */
  crashed: Array<() => void> = [];
  private appendsLeft = Infinity;
  private sequence = 0;

  eventCount(): number {
    const count = (streams: Map<string, unknown[]>) => [...streams.values()].reduce((total, events) => total + events.length, 0);
    return this.customer.length + count(this.invoices) + count(this.payments) + count(this.creditNotes);
  }

  /**
   * Runs a command that may crash after `appendsAllowed` appends; a crashed one is kept for a
   * retry. A refused command appends nothing, unless it completed a crashed process first (a
   * retry, or a refund finishing a payment left pending): that is checked here.
   */
  run(command: () => void, appendsAllowed = Infinity, retry = false): void {
    const eventsBefore = this.eventCount();
    const crashedBefore = this.crashed.length;
    this.appendsLeft = appendsAllowed;
    try {
      command();
    } catch (error) {
      if (error instanceof Crash) this.crashed.push(command);
      else if (!(error instanceof DomainError)) throw error;
      else if (!retry && crashedBefore === 0) expect(this.eventCount()).toBe(eventsBefore);
    } finally {
      this.appendsLeft = Infinity;
    }
  }

  retryAll(): void {
    const commands = this.crashed;
    this.crashed = [];
    for (const command of commands) this.run(command, Infinity, true);
  }

  /** appendStep: fold the stream, decide, append (or crash before appending). */
  step<State, Event extends DomainEvent>(stream: Event[], decider: Decider<State, Event>, decide: (state: State) => Event[]): State {
    const state = fold(decider, stream);
    const events = decide(state);
    if (events.length === 0) return state;
    if (this.appendsLeft <= 0) throw new Crash();
    this.appendsLeft -= 1;
    stream.push(...events);
    return fold(decider, stream);
  }

  stream<Event>(streams: Map<string, Event[]>, id: string): Event[] {
    if (!streams.has(id)) streams.set(id, []);
    return streams.get(id) as Event[];
  }

  invoice(id: string): InvoiceView {
    return fold(invoiceDecider, this.stream(this.invoices, id)) as InvoiceView;
  }

  credit() {
    const state = fold(customerDecider, this.customer);
    if (state.status === 'none') throw new Error('no customer');
    return state.credit;
  }

  // ---- The commands, as the handlers run them ----

  createInvoice(total: number): string {
    const id = `inv_${++this.sequence}`;
    this.step(this.stream(this.invoices, id), invoiceDecider, (state) =>
      createDraftInvoice({ id, customerId: 'cus_1', customerCurrency: CURRENCY, lines: [{ description: 'x', unitAmount: cents(total) }] }, state),
    );
    return id;
  }

  /** InvoiceIssuer.finish: credit on the customer first, then the invoice. */
  issue(id: string): void {
    const draft = this.invoice(id);
    if (draft.status !== 'draft') return;
    const customer = this.step(this.customer, customerDecider, (state) =>
      state.status === 'none' ? [] : applyCustomerCredit({ customerId: 'cus_1', currency: CURRENCY, invoiceId: id, amountDue: draft.amountDue }, state.credit),
    );
    const creditApplied = customer.status === 'none' ? undefined : creditAppliedTo(customer.credit, id, CURRENCY);
    this.step(this.stream(this.invoices, id), invoiceDecider, (state) =>
      issueInvoice({ id, issuedAt: NOW - 86_400_000 * 30, number: `INV-${id}`, paymentTermsDays: 30, creditApplied }, state),
    );
  }

  /** ReceivePaymentHandler + PaymentProcess.complete. */
  pay(id: string, amount: number, invoiceId: string | null): void {
    const request = parsePaymentRequest(
      { id, customerId: 'cus_1', amount: cents(amount), currency: CURRENCY, receivedAt: '2026-05-01T00:00:00Z', method: 'wire', invoiceId },
      NOW,
    );
    const existing = fold(paymentDecider, this.stream(this.payments, id));
    const openInvoices = [...this.invoices.keys()].map((key) => this.invoice(key)).filter((invoice) => invoice.status === 'open');
    const context = {
      customer: customerCreated.data,
      invoice: existing.status === 'none' && invoiceId !== null ? fold(invoiceDecider, this.stream(this.invoices, invoiceId)) : null,
      openInvoices: existing.status === 'none' ? openInvoices : [],
    };
    this.step(this.stream(this.payments, id), paymentDecider, (state) => receivePayment(request, state, context));
    this.completePayment(id);
  }

  completePayment(id: string): void {
    const payment = fold(paymentDecider, this.stream(this.payments, id)) as PaymentView;
    if (payment.status === 'settled') return;
    const applied: PaymentAllocation[] = payment.allocations.map((share) => {
      const invoice = this.step(this.stream(this.invoices, share.invoiceId), invoiceDecider, (state) => applyPaymentShare(payment, share, state));
      return { invoiceId: share.invoiceId, amount: amountTakenBy(invoice, id, CURRENCY) };
    });
    const surplus = usd(payment.amount).minus(sumOf(applied.map((share) => share.amount)));
    this.grant('payment', id, surplus.toString());
    this.step(this.stream(this.payments, id), paymentDecider, (state) => settlePayment(state, applied));
  }

  grant(source: 'payment' | 'credit_note' | 'invoice_void', sourceId: string, amount: string): void {
    this.step(this.customer, customerDecider, (state) =>
      state.status === 'none' ? [] : grantCustomerCredit({ customerId: 'cus_1', currency: CURRENCY, source, sourceId, amount }, state.credit),
    );
  }

  /** IssueCreditNoteHandler. */
  creditNote(id: string, invoiceId: string, amount: number): void {
    const invoice = fold(invoiceDecider, this.stream(this.invoices, invoiceId));
    const note = parseCreditNoteRequest({ id, invoiceId, amount: cents(amount), reason: 'r', issuedAt: '2026-05-02T00:00:00Z', wallClockNow: NOW }, invoice);
    if (assertNewOrRetriedCreditNote(note, fold(creditNoteDecider, this.stream(this.creditNotes, id))) === 'new') {
      const credited = this.step(this.stream(this.invoices, invoiceId), invoiceDecider, (state) =>
        creditInvoice({ invoiceId, creditNoteId: id, amount: note.amount.toString(), at: note.issuedAt }, state),
      );
      this.step(this.stream(this.creditNotes, id), creditNoteDecider, (state) => issueCreditNote(note, state, credited));
    }
    const issued = fold(creditNoteDecider, this.stream(this.creditNotes, id)) as CreditNoteView;
    this.grant('credit_note', id, issued.creditAmount);
  }

  /** VoidInvoiceHandler. */
  void(invoiceId: string): void {
    const returnCredit = (invoice: InvoiceView) => this.grant('invoice_void', invoiceId, invoice.creditApplied);
    if (this.invoice(invoiceId).status === 'void') returnCredit(this.invoice(invoiceId));
    const voided = this.step(this.stream(this.invoices, invoiceId), invoiceDecider, (state) =>
      voidInvoice({ invoiceId, at: '2026-05-03T00:00:00Z', reason: 'r', wallClockNow: NOW }, state),
    );
    returnCredit(voided as InvoiceView);
  }

  markUncollectible(invoiceId: string): void {
    this.step(this.stream(this.invoices, invoiceId), invoiceDecider, (state) =>
      markInvoiceUncollectible({ invoiceId, at: '2026-05-04T00:00:00Z', reason: 'r', wallClockNow: NOW }, state),
    );
  }

  /** RefundPaymentHandler. */
  refund(paymentId: string, amount: number | null, reason: string): void {
    if (fold(paymentDecider, this.stream(this.payments, paymentId)).status === 'none') throw new NotFoundError('payment', paymentId);
    const refund = parseRefundRequest(
      { paymentId, amount: amount === null ? undefined : cents(amount), at: '2026-05-05T00:00:00Z', reason, wallClockNow: NOW },
      CURRENCY,
    );
    const before = fold(paymentDecider, this.stream(this.payments, paymentId)) as PaymentView;
    if (!isRetriedRefund(refund, before)) refundAmount(refund, before);
    this.completePayment(paymentId);
    const creditBalance = usd(this.credit().balances[CURRENCY] ?? '0');
    const after = this.step(this.stream(this.payments, paymentId), paymentDecider, (state) => refundPayment(refund, state, { creditBalance })) as PaymentView;
    for (const done of after.refunds) {
      this.step(this.customer, customerDecider, (state) =>
        state.status === 'none'
          ? []
          : revokeCustomerCredit({ customerId: 'cus_1', currency: CURRENCY, refundId: done.id, paymentId, amount: done.creditToRevoke }, state.credit),
      );
    }
  }
}

// ---- The books -----------------------------------------------------------------------------

function customerCreditEvents(world: World) {
  const grants = {
    payment: new Map<string, string>(),
    credit_note: new Map<string, string>(),
    invoice_void: new Map<string, string>(),
    invoice: new Map<string, string>(),
  };
  let applied = zero;
  const revokedByPayment = new Map<string, Money>();
  for (const event of world.customer) {
    if (event.type === 'CustomerCreditGranted') grants[event.data.source].set(event.data.sourceId, event.data.amount);
    if (event.type === 'CustomerCreditApplied') applied = applied.plus(usd(event.data.amount));
    if (event.type === 'CustomerCreditRevoked') {
      revokedByPayment.set(event.data.paymentId, (revokedByPayment.get(event.data.paymentId) ?? zero).plus(usd(event.data.amount)));
    }
  }
  const revoked = [...revokedByPayment.values()].reduce((total, amount) => total.plus(amount), zero);
  return { grants, applied, revoked, revokedByPayment };
}

type Books = ReturnType<typeof customerCreditEvents> & { invoices: InvoiceView[]; payments: PaymentView[]; balance: Money };

function booksOf(world: World): Books {
  const invoices = [...world.invoices.keys()].map((id) => world.invoice(id)).filter((invoice) => (invoice.status as string) !== 'none');
  const payments = [...world.payments.values()].map((events) => fold(paymentDecider, events)).filter((state): state is PaymentView => state.status !== 'none');
  return { ...customerCreditEvents(world), invoices, payments, balance: usd(world.credit().balances[CURRENCY] ?? '0') };
}

/** Every invoice: amountDue = total − paid − credited, never negative; paid exactly when nothing is due. */
function checkInvoices(books: Books, allSettled: boolean): void {
  for (const invoice of books.invoices) {
    const due = usd(invoice.total).minus(usd(invoice.amountPaid)).minus(usd(invoice.amountCredited));
    expect(usd(invoice.amountDue).equals(due)).toBe(true);
    expect(usd(invoice.amountDue).isNegative()).toBe(false);
    expect(usd(invoice.amountPaid).equals(sumOf(invoice.payments.map((payment) => payment.amount)))).toBe(true);
    const creditNotesApplied = sumOf(invoice.creditNotes.map((note) => note.amountApplied));
    expect(usd(invoice.amountCredited).equals(usd(invoice.creditApplied).plus(creditNotesApplied))).toBe(true);
    expect(sumOf(invoice.creditNotes.map((note) => note.amount)).compare(usd(invoice.total))).toBeLessThanOrEqual(0);
    if (invoice.status === 'open' || invoice.status === 'uncollectible') expect(usd(invoice.amountDue).isPositive()).toBe(true);
    if (invoice.status === 'paid') expect(usd(invoice.amountDue).isZero()).toBe(true);
    const returned = books.grants.invoice_void.get(invoice.id);
    if (returned !== undefined) expect(invoice.status === 'void' && usd(returned).equals(usd(invoice.creditApplied))).toBe(true);
    if (allSettled && invoice.status === 'void') expect(usd(returned ?? '0').equals(usd(invoice.creditApplied))).toBe(true);
  }
}

/** Customer credit: never negative; exactly grants − applications − revocations; applications are what invoices show. */
function checkCustomerCredit(books: Books, allSettled: boolean): void {
  expect(books.balance.isNegative()).toBe(false);
  expect(books.balance.equals(grantedFrom(books, 'payment', 'credit_note', 'invoice_void').minus(books.applied).minus(books.revoked))).toBe(true);
  // An issue that crashed between applying credit and issuing has applied credit no invoice shows yet.
  const onInvoices = sumOf(books.invoices.map((invoice) => invoice.creditApplied));
  expect(books.applied.compare(onInvoices)).toBeGreaterThanOrEqual(0);
  if (allSettled) expect(books.applied.equals(onInvoices)).toBe(true);
}

/** Payments: what each received is on invoices or in credit (or, while pending, not placed yet); refunds stay within it. */
function checkPayments(world: World, books: Books, allSettled: boolean): void {
  for (const payment of books.payments) {
    expect(usd(payment.amountRefunded).compare(usd(payment.amount))).toBeLessThanOrEqual(0);
    expect((books.revokedByPayment.get(payment.id) ?? zero).compare(usd(payment.creditAmount))).toBeLessThanOrEqual(0);
    if (allSettled) expect(payment.status).toBe('settled');
    if (payment.status !== 'settled') continue;
    expect(usd(payment.amount).equals(sumOf(payment.allocations.map((share) => share.amount)).plus(usd(payment.creditAmount)))).toBe(true);
    for (const share of payment.allocations) expect(amountTakenBy(world.invoice(share.invoiceId), payment.id, CURRENCY)).toBe(share.amount);
    expect(usd(books.grants.payment.get(payment.id) ?? '0').equals(usd(payment.creditAmount))).toBe(true);
  }
  // No money created or lost: payments + non-cash credit (credit notes beyond what was due, credit
  // returned by voids) = paid on invoices + credit applied at issue + credit held + credit refunded
  // + (while a payment is pending) money not placed yet.
  const paidIn = sumOf(books.payments.map((payment) => payment.amount)).plus(grantedFrom(books, 'credit_note', 'invoice_void'));
  const placed = sumOf(books.invoices.map((invoice) => invoice.amountPaid)).plus(books.applied).plus(books.balance).plus(books.revoked);
  const unplaced = paidIn.minus(placed);
  expect(unplaced.isNegative()).toBe(false);
  if (allSettled) expect(unplaced.isZero()).toBe(true);
}

/** Credit notes: applied + credit = amount; the invoice recorded the same split; the credit was granted. */
function checkCreditNotes(world: World, books: Books, allSettled: boolean): void {
  for (const events of world.creditNotes.values()) {
    const note = fold(creditNoteDecider, events);
    if (note.status === 'none') continue;
    expect(usd(note.amountApplied).plus(usd(note.creditAmount)).equals(usd(note.amount))).toBe(true);
    const record = world.invoice(note.invoiceId).creditNotes.find((candidate) => candidate.creditNoteId === note.id);
    expect(record?.amountApplied).toBe(note.amountApplied);
    if (allSettled) expect(usd(books.grants.credit_note.get(note.id) ?? '0').equals(usd(note.creditAmount))).toBe(true);
  }
}

function grantedFrom(books: Books, ...sources: Array<keyof Books['grants']>): Money {
  return sources.reduce((total, source) => total.plus(sumOf([...books.grants[source].values()])), zero);
}

function checkBooks(world: World, allSettled: boolean): void {
  const books = booksOf(world);
  checkInvoices(books, allSettled);
  checkCustomerCredit(books, allSettled);
  checkPayments(world, books, allSettled);
  checkCreditNotes(world, books, allSettled);
}

// ---- Random command sequences --------------------------------------------------------------

const amount = fc.integer({ min: 1, max: 20_000 });
const crashAfter = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
// Weighted towards invoices and payments, so that most payments find invoices to pay.
const command = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('invoice' as const), total: fc.integer({ min: 0, max: 20_000 }), issue: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('issue' as const), pick: fc.nat(), crashAfter }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pay' as const), amount, pick: fc.option(fc.nat(), { nil: null }), crashAfter }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('creditNote' as const), amount, pick: fc.nat(), crashAfter }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), pick: fc.nat(), crashAfter }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('uncollectible' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), amount: fc.option(amount, { nil: null }), pick: fc.nat(), crashAfter }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retry' as const) }) },
);
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

function play(world: World, step: Command, index: number): void {
  const invoiceIds = [...world.invoices.keys()];
  const pickInvoice = (pick: number) => (invoiceIds.length === 0 ? null : invoiceIds[pick % invoiceIds.length]);
  const paymentIds = [...world.payments.keys()];
  switch (step.kind) {
    case 'invoice': {
      const id = world.createInvoice(step.total);
      if (step.issue) world.run(() => world.issue(id));
      return;
    }
    case 'issue': {
      const id = pickInvoice(step.pick);
      if (id) world.run(() => world.issue(id), step.crashAfter);
      return;
    }
    case 'pay': {
      const invoiceId = step.pick === null ? null : pickInvoice(step.pick);
      world.run(() => world.pay(`pay_${index}`, step.amount, invoiceId), step.crashAfter);
      return;
    }
    case 'creditNote': {
      const id = pickInvoice(step.pick);
      if (id) world.run(() => world.creditNote(`cn_${index}`, id, step.amount), step.crashAfter);
      return;
    }
    case 'void': {
      const id = pickInvoice(step.pick);
      if (id) world.run(() => world.void(id), step.crashAfter);
      return;
    }
    case 'uncollectible': {
      const id = pickInvoice(step.pick);
      if (id) world.run(() => world.markUncollectible(id));
      return;
    }
    case 'refund': {
      const id = paymentIds.length === 0 ? null : paymentIds[step.pick % paymentIds.length];
      if (id) world.run(() => world.refund(id, step.amount, `refund ${index}`), step.crashAfter);
      return;
    }
    case 'retry':
      world.retryAll();
      return;
  }
}

describe('settlement properties', () => {
  it('random payments, credit notes, issues, voids, write-offs and refunds, with crashes and retries, never create or lose money', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (commands) => {
        const world = new World();
        commands.forEach((step, index) => {
          play(world, step, index);
          checkBooks(world, false);
        });
        world.retryAll();
        checkBooks(world, true);
      }),
      { numRuns: 200 },
    );
  });
});
