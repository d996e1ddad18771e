import {
  CreditNoteIssued,
  creditNoteIssuedPosting,
  formatDate,
  InvoiceCreated,
  InvoiceIssued,
  invoiceIssuedPosting,
  InvoiceLine,
  invoiceVoidedPosting,
  IssuedInvoiceAmounts,
  JournalPosting,
  lineRevenueAmount,
  parseInstant,
  paymentAppliedPosting,
  paymentCreditPosting,
  paymentRefundedPosting,
  RecognitionSchedule,
  scheduleOf,
} from '@accrual/billing';
import { Money } from '@accrual/money';
import { SqlExecutor } from '@accrual/database';
import { addNumeric, columns, writeRows } from '../batch-rows';
import { ProjectedEvent } from '../projection';

/**
 * The ledger projection's batch path (`applyBatch`, projection lag): one read of the ledger rows
 * the batch's events need, the rules of `ledgerProjection.apply` applied event by event in log
 * order to those rows in memory, then one write per table. Same rows as `apply` on each event
 * (apps/projector's replay test compares the two).
 */
export async function applyLedgerBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  if (projected.length === 0) return;
  const batch = await LedgerBatch.load(tx, schema, projected);
  for (const one of projected) batch.apply(one);
  await batch.write(tx, schema);
}

function dayOf(instant: string): string {
  return formatDate(parseInstant('at', instant));
}

/** A `ledger_invoices` row as Postgres returns it (numerics as text). */
interface LedgerInvoiceRow {
  id: string;
  currency: string;
  total: string;
  tax_total: string;
  revenue_total: string;
  tax_inclusive: boolean;
  lines: InvoiceLine[];
  issued_at: string | null;
  credit_applied: string | null;
  credited: string;
  voided_day: string | null;
}

/** What the batch reads before applying: the rows of ledger_invoices, ledger_payments and credits its events name. */
interface StoredRow extends Omit<LedgerInvoiceRow, 'lines' | 'tax_inclusive'> {
  kind: 'invoice' | 'payment' | 'credit';
  lines: InvoiceLine[] | string | null;
  tax_inclusive: boolean | null;
  received_day: string | null;
}

/**
 * One batch of the ledger: the rows its events read, kept in memory and changed as each event's
 * statements would change them in the database, and the rows to write at the end.
 */
class LedgerBatch {
  private readonly invoices = new Map<string, LedgerInvoiceRow>();
  /** Invoices inserted or updated by the batch, in first-touch order. */
  private readonly touchedInvoices = new Set<string>();
  private readonly paymentDays = new Map<string, string>();
  private readonly newPayments: Array<[string, string, string]> = [];
  private readonly credits = new Set<string>();
  private readonly newCredits: Array<[string, string, string, string]> = [];
  private readonly recognitionKeys = new Set<string>();
  private readonly recognitionLines: Array<Array<string>> = [];
  private readonly journalLines: Array<Array<string>> = [];

  static async load(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<LedgerBatch> {
    const invoiceIds = new Set<string>();
    const paymentIds = new Set<string>();
    const creditNoteIds = new Set<string>();
    for (const { event } of projected) {
      if (event.type === 'InvoiceCreated' || event.type === 'InvoiceIssued') invoiceIds.add(event.data.id);
      else if (event.type === 'InvoicePaymentApplied' || event.type === 'InvoiceVoided') invoiceIds.add(event.data.invoiceId);
      else if (event.type === 'CreditNoteIssued') {
        invoiceIds.add(event.data.invoiceId);
        creditNoteIds.add(event.data.id);
      } else if (event.type === 'PaymentReceived') paymentIds.add(event.data.id);
      else if (event.type === 'PaymentSettled') paymentIds.add(event.data.paymentId);
    }
    const stored = await tx.query<StoredRow>(
      `select 'invoice' as kind, id, currency, total::text as total, tax_total::text as tax_total, revenue_total::text as revenue_total,
              tax_inclusive, lines, issued_at, credit_applied::text as credit_applied, credited::text as credited, voided_day, null as received_day
         from ${schema}.ledger_invoices where id = any($1::text[])
       union all
       select 'payment', id, currency, null, null, null, null, null, null, null, null, null, received_day
         from ${schema}.ledger_payments where id = any($2::text[])
       union all
       select 'credit', credit_note_id, null, null, null, null, null, null, null, null, null, null, null
         from ${schema}.ledger_invoice_credits where credit_note_id = any($3::text[])`,
      [[...invoiceIds], [...paymentIds], [...creditNoteIds]],
    );
    const batch = new LedgerBatch();
    for (const row of stored.rows) {
      if (row.kind === 'payment') batch.paymentDays.set(row.id, row.received_day as string);
      else if (row.kind === 'credit') batch.credits.add(row.id);
      else {
        const lines = typeof row.lines === 'string' ? (JSON.parse(row.lines) as InvoiceLine[]) : (row.lines as InvoiceLine[]);
        batch.invoices.set(row.id, { ...row, lines, tax_inclusive: row.tax_inclusive as boolean });
      }
    }
    return batch;
  }

  apply({ event, recorded }: ProjectedEvent): void {
    const post = (day: string, posting: JournalPosting) => this.post(recorded.id, day, posting);
    switch (event.type) {
      case 'InvoiceCreated':
        return this.insertInvoice(event);
      case 'InvoiceIssued':
        return this.issueInvoice(event, post);
      case 'InvoicePaymentApplied': {
        const invoice = this.findInvoice(event.data.invoiceId);
        if (!invoice) return;
        return post(dayOf(event.data.at), paymentAppliedPosting(invoice.currency, event.data.amount));
      }
      case 'InvoiceVoided': {
        const invoice = this.findInvoice(event.data.invoiceId);
        if (!invoice || invoice.issuedAt === null) return;
        const day = dayOf(event.data.at);
        this.updateInvoice(invoice.id, { voided_day: day });
        return post(day, invoiceVoidedPosting(invoice.amounts));
      }
      case 'CreditNoteIssued':
        return this.creditInvoice(event, post);
      case 'PaymentReceived':
        if (!this.paymentDays.has(event.data.id)) {
          const receivedDay = dayOf(event.data.receivedAt);
          this.paymentDays.set(event.data.id, receivedDay);
          this.newPayments.push([event.data.id, event.data.currency, receivedDay]);
        }
        return;
      case 'PaymentSettled': {
        const receivedDay = this.paymentDays.get(event.data.paymentId);
        if (!receivedDay) return;
        return post(receivedDay, paymentCreditPosting(event.data.currency, event.data.creditAmount));
      }
      case 'PaymentRefunded':
        return post(dayOf(event.data.at), paymentRefundedPosting(event.data.currency, event.data.amount, event.data.creditToRevoke));
      default:
        return;
    }
  }

  private insertInvoice(event: InvoiceCreated): void {
    const { id, currency, total, taxTotal, lines, taxRate } = event.data;
    if (this.invoices.has(id)) return;
    const inclusive = taxRate?.inclusive ?? false;
    const revenueTotal = lines.reduce((sum, line) => sum.plus(lineRevenueAmount(line, inclusive, currency)), Money.zero(currency));
    this.invoices.set(id, {
      id,
      currency,
      total,
      tax_total: taxTotal,
      revenue_total: revenueTotal.toString(),
      tax_inclusive: inclusive,
      // As stored in jsonb and read back.
      lines: JSON.parse(JSON.stringify(lines)) as InvoiceLine[],
      issued_at: null,
      credit_applied: null,
      credited: '0',
      voided_day: null,
    });
    this.touchedInvoices.add(id);
  }

  private issueInvoice(event: InvoiceIssued, post: Post): void {
    const { id, issuedAt, creditApplied } = event.data;
    this.updateInvoice(id, { issued_at: issuedAt, credit_applied: creditApplied ?? null });
    const invoice = this.findInvoice(id);
    if (!invoice) return;
    for (const line of invoice.lines) {
      const schedule = scheduleOf(line, invoice.taxInclusive, invoice.currency, issuedAt);
      const key = JSON.stringify([id, line.id]);
      if (this.recognitionKeys.has(key)) continue;
      this.recognitionKeys.add(key);
      this.recognitionLines.push([
        id,
        line.id,
        invoice.currency,
        schedule.revenueAmount,
        schedule.firstServiceDay,
        schedule.lastServiceDay,
        schedule.issuedDay,
      ]);
    }
    post(dayOf(issuedAt), invoiceIssuedPosting(invoice.amounts));
  }

  private creditInvoice(event: CreditNoteIssued, post: Post): void {
    const note = event.data;
    const invoice = this.findInvoice(note.invoiceId);
    if (!invoice || invoice.issuedAt === null) return;
    // A credit note already recorded changes nothing (its insert did nothing).
    if (this.credits.has(note.id)) return;
    this.credits.add(note.id);
    this.newCredits.push([note.id, invoice.id, dayOf(note.issuedAt), note.amount]);
    const money = (amount: string) => Money.of(amount, invoice.currency);
    const schedules: RecognitionSchedule[] = invoice.lines.map((line) => scheduleOf(line, invoice.taxInclusive, invoice.currency, invoice.issuedAt as string));
    const remainingBefore = money(invoice.total).minus(money(invoice.credited));
    const remainingAfter = remainingBefore.minus(money(note.amount));
    const stored = this.invoices.get(invoice.id) as LedgerInvoiceRow;
    this.updateInvoice(invoice.id, { credited: addNumeric(stored.credited, note.amount) });
    const share = (remaining: Money) => ({ remaining: remaining.toString(), total: invoice.total });
    post(dayOf(note.issuedAt), creditNoteIssuedPosting(note, schedules, share(remainingBefore), share(remainingAfter)));
  }

  /** As `update ledger_invoices set … where id = $1`: nothing when the row does not exist. */
  private updateInvoice(id: string, changes: Partial<LedgerInvoiceRow>): void {
    const row = this.invoices.get(id);
    if (!row) return;
    this.invoices.set(id, { ...row, ...changes });
    this.touchedInvoices.add(id);
  }

  private findInvoice(id: string): LedgerInvoice | null {
    const row = this.invoices.get(id);
    return row ? ledgerInvoiceOf(row) : null;
  }

  private post(entryId: string, day: string, posting: JournalPosting): void {
    for (const [position, line] of posting.lines.entries()) {
      this.journalLines.push([entryId, String(position), posting.currency, day, line.account, line.debit, line.credit, entryId]);
    }
  }

  /** Every table the batch changed, in one statement. */
  async write(tx: SqlExecutor, schema: string): Promise<void> {
    const invoiceRows = [...this.touchedInvoices].map((id) => {
      const row = this.invoices.get(id) as LedgerInvoiceRow;
      return [
        row.id,
        row.currency,
        row.total,
        row.tax_total,
        row.revenue_total,
        String(row.tax_inclusive),
        JSON.stringify(row.lines),
        row.issued_at,
        row.credit_applied,
        row.credited,
        row.voided_day,
      ];
    });
    await writeRows(tx, [
      {
        table: `${schema}.ledger_invoices`,
        columns: LEDGER_INVOICE_COLUMNS,
        rows: invoiceRows,
        onConflict: `on conflict (id) do update set issued_at = excluded.issued_at, credit_applied = excluded.credit_applied,
           credited = excluded.credited, voided_day = excluded.voided_day`,
      },
      { table: `${schema}.ledger_recognition_lines`, columns: RECOGNITION_LINE_COLUMNS, rows: this.recognitionLines, onConflict: 'on conflict (invoice_id, line_id) do nothing' },
      { table: `${schema}.ledger_invoice_credits`, columns: INVOICE_CREDIT_COLUMNS, rows: this.newCredits, onConflict: 'on conflict (credit_note_id) do nothing' },
      { table: `${schema}.ledger_payments`, columns: PAYMENT_COLUMNS, rows: this.newPayments, onConflict: 'on conflict (id) do nothing' },
      { table: `${schema}.journal_entries`, columns: JOURNAL_COLUMNS, rows: this.journalLines, onConflict: 'on conflict (entry_id, position) do nothing' },
    ]);
  }
}

const LEDGER_INVOICE_COLUMNS = columns(
  'id text',
  'currency text',
  'total numeric',
  'tax_total numeric',
  'revenue_total numeric',
  'tax_inclusive boolean',
  'lines jsonb',
  'issued_at text',
  'credit_applied numeric',
  'credited numeric',
  'voided_day text',
);
const RECOGNITION_LINE_COLUMNS = columns(
  'invoice_id text',
  'line_id text',
  'currency text',
  'revenue_amount numeric',
  'first_service_day text',
  'last_service_day text',
  'issued_day text',
);
const INVOICE_CREDIT_COLUMNS = columns('credit_note_id text', 'invoice_id text', 'credited_day text', 'amount numeric');
const PAYMENT_COLUMNS = columns('id text', 'currency text', 'received_day text');
const JOURNAL_COLUMNS = columns(
  'entry_id text',
  'position integer',
  'currency text',
  'effective_day text',
  'account text',
  'debit numeric',
  'credit numeric',
  'source_event_id text',
);

type Post = (day: string, posting: JournalPosting) => void;

interface LedgerInvoice {
  id: string;
  currency: string;
  total: string;
  credited: string;
  taxInclusive: boolean;
  lines: InvoiceLine[];
  issuedAt: string | null;
  amounts: IssuedInvoiceAmounts;
}

function ledgerInvoiceOf(row: LedgerInvoiceRow): LedgerInvoice {
  const money = (amount: string) => Money.of(amount, row.currency).toString();
  return {
    id: row.id,
    currency: row.currency,
    total: money(row.total),
    credited: normalizedAmount(row.credited, row.currency),
    taxInclusive: row.tax_inclusive,
    lines: row.lines,
    issuedAt: row.issued_at,
    amounts: {
      currency: row.currency,
      total: money(row.total),
      taxTotal: money(row.tax_total),
      revenueTotal: money(row.revenue_total),
      creditApplied: normalizedAmount(row.credit_applied ?? '0', row.currency),
    },
  };
}

/** A numeric read back from Postgres (a sum keeps its terms' scale), in the currency's minor unit. */
export function normalizedAmount(numeric: string, currency: string): string {
  return Money.of(numeric, currency).toString();
}
