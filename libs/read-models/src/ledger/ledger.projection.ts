import {
  AccrualEvent,
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
import { Projection } from '../projection';
import { applyLedgerBatch, normalizedAmount } from './ledger-batch';

/**
 * The double-entry journal and what revenue recognition needs (docs/reporting.md, "Journal").
 * Each financial event posts one balanced entry whose id is the event's id, so a replayed event
 * posts nothing twice. Recognition itself is not stored per day: the queries compute it.
 * `apply` states the rules statement by statement; `applyBatch` applies a whole batch with the
 * same result in a few statements (ledger-batch.ts), and is what the projector uses.
 */
export const ledgerProjection: Projection = {
  name: 'ledger',
  handles: new Set<AccrualEvent['type']>([
    'InvoiceCreated',
    'InvoiceIssued',
    'InvoicePaymentApplied',
    'InvoiceVoided',
    'CreditNoteIssued',
    'PaymentReceived',
    'PaymentSettled',
    'PaymentRefunded',
  ]),
  // Many events at once, same rows (ledger-batch.ts): projection lag.
  applyBatch: applyLedgerBatch,
  async apply(tx, schema, { event, recorded }) {
    const post = (day: string, posting: JournalPosting) => insertEntry(tx, schema, recorded.id, day, posting);
    switch (event.type) {
      case 'InvoiceCreated':
        return insertInvoice(tx, schema, event);
      case 'InvoiceIssued':
        return issueInvoice(tx, schema, event, post);
      case 'InvoicePaymentApplied': {
        const invoice = await findLedgerInvoice(tx, schema, event.data.invoiceId);
        if (!invoice) return;
        return post(dayOf(event.data.at), paymentAppliedPosting(invoice.currency, event.data.amount));
      }
      case 'InvoiceVoided': {
        const invoice = await findLedgerInvoice(tx, schema, event.data.invoiceId);
        if (!invoice || invoice.issuedAt === null) return;
        const day = dayOf(event.data.at);
        await tx.query(`update ${schema}.ledger_invoices set voided_day = $2 where id = $1`, [invoice.id, day]);
        return post(day, invoiceVoidedPosting(invoice.amounts));
      }
      case 'CreditNoteIssued':
        return creditInvoice(tx, schema, event, post);
      case 'PaymentReceived':
        await tx.query(
          `insert into ${schema}.ledger_payments (id, currency, received_day) values ($1, $2, $3) on conflict (id) do nothing`,
          [event.data.id, event.data.currency, dayOf(event.data.receivedAt)],
        );
        return;
      case 'PaymentSettled': {
        const payment = await tx.query<{ received_day: string }>(`select received_day from ${schema}.ledger_payments where id = $1`, [event.data.paymentId]);
        const receivedDay = payment.rows[0]?.received_day;
        if (!receivedDay) return;
        return post(receivedDay, paymentCreditPosting(event.data.currency, event.data.creditAmount));
      }
      case 'PaymentRefunded':
        return post(dayOf(event.data.at), paymentRefundedPosting(event.data.currency, event.data.amount, event.data.creditToRevoke));
      default:
        return;
    }
  },
};

type Post = (day: string, posting: JournalPosting) => Promise<void>;

function dayOf(instant: string): string {
  return formatDate(parseInstant('at', instant));
}

async function insertInvoice(tx: SqlExecutor, schema: string, event: InvoiceCreated): Promise<void> {
  const { id, currency, total, taxTotal, lines, taxRate } = event.data;
  const inclusive = taxRate?.inclusive ?? false;
  const revenueTotal = lines.reduce((sum, line) => sum.plus(lineRevenueAmount(line, inclusive, currency)), Money.zero(currency));
  await tx.query(
    `insert into ${schema}.ledger_invoices (id, currency, total, tax_total, revenue_total, tax_inclusive, lines, credited)
     values ($1, $2, $3, $4, $5, $6, $7, 0) on conflict (id) do nothing`,
    [id, currency, total, taxTotal, revenueTotal.toString(), inclusive, JSON.stringify(lines)],
  );
}

async function issueInvoice(tx: SqlExecutor, schema: string, event: InvoiceIssued, post: Post): Promise<void> {
  const { id, issuedAt, creditApplied } = event.data;
  await tx.query(`update ${schema}.ledger_invoices set issued_at = $2, credit_applied = $3 where id = $1`, [id, issuedAt, creditApplied]);
  const invoice = await findLedgerInvoice(tx, schema, id);
  if (!invoice) return;
  for (const line of invoice.lines) {
    const schedule = scheduleOf(line, invoice.taxInclusive, invoice.currency, issuedAt);
    await tx.query(
      `insert into ${schema}.ledger_recognition_lines
         (invoice_id, line_id, currency, revenue_amount, first_service_day, last_service_day, issued_day)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (invoice_id, line_id) do nothing`,
      [id, line.id, invoice.currency, schedule.revenueAmount, schedule.firstServiceDay, schedule.lastServiceDay, schedule.issuedDay],
    );
  }
  await post(dayOf(issuedAt), invoiceIssuedPosting(invoice.amounts));
}

async function creditInvoice(tx: SqlExecutor, schema: string, event: CreditNoteIssued, post: Post): Promise<void> {
  const note = event.data;
  const invoice = await findLedgerInvoice(tx, schema, note.invoiceId);
  if (!invoice || invoice.issuedAt === null) return;
  const money = (amount: string) => Money.of(amount, invoice.currency);
  const inserted = await tx.query(
    `insert into ${schema}.ledger_invoice_credits (credit_note_id, invoice_id, credited_day, amount)
     values ($1, $2, $3, $4) on conflict (credit_note_id) do nothing returning credit_note_id`,
    [note.id, invoice.id, dayOf(note.issuedAt), note.amount],
  );
  if (inserted.rows.length === 0) return;
  const schedules: RecognitionSchedule[] = invoice.lines.map((line) => scheduleOf(line, invoice.taxInclusive, invoice.currency, invoice.issuedAt as string));
  const remainingBefore = money(invoice.total).minus(money(invoice.credited));
  const remainingAfter = remainingBefore.minus(money(note.amount));
  await tx.query(`update ${schema}.ledger_invoices set credited = credited + $2 where id = $1`, [invoice.id, note.amount]);
  const share = (remaining: Money) => ({ remaining: remaining.toString(), total: invoice.total });
  await post(dayOf(note.issuedAt), creditNoteIssuedPosting(note, schedules, share(remainingBefore), share(remainingAfter)));
}

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

async function findLedgerInvoice(tx: SqlExecutor, schema: string, id: string): Promise<LedgerInvoice | null> {
  const result = await tx.query<{
    id: string;
    currency: string;
    total: string;
    tax_total: string;
    revenue_total: string;
    tax_inclusive: boolean;
    lines: InvoiceLine[] | string;
    issued_at: string | null;
    credit_applied: string | null;
    credited: string;
  }>(`select * from ${schema}.ledger_invoices where id = $1`, [id]);
  const row = result.rows[0];
  if (!row) return null;
  const money = (amount: string) => Money.of(amount, row.currency).toString();
  return {
    id: row.id,
    currency: row.currency,
    total: money(row.total),
    credited: normalizedAmount(row.credited, row.currency),
    taxInclusive: row.tax_inclusive,
    lines: typeof row.lines === 'string' ? (JSON.parse(row.lines) as InvoiceLine[]) : row.lines,
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


async function insertEntry(tx: SqlExecutor, schema: string, entryId: string, day: string, posting: JournalPosting): Promise<void> {
  for (const [position, line] of posting.lines.entries()) {
    await tx.query(
      `insert into ${schema}.journal_entries (entry_id, position, currency, effective_day, account, debit, credit, source_event_id)
       values ($1, $2, $3, $4, $5, $6, $7, $1) on conflict (entry_id, position) do nothing`,
      [entryId, position, posting.currency, day, line.account, line.debit, line.credit],
    );
  }
}
