import { InvoiceLine } from '@accrual/billing';
import { SqlClient, SqlExecutor } from '@accrual/database';
import { Money } from '@accrual/money';
import { FinanceEvent, MalformedEventError, parseFinanceEvent } from './finance-event';
import { FINANCE_SCHEMA } from './finance-schema';
import {
  documentsNeeded,
  FinanceEffect,
  FinanceInvoice,
  FinanceOutcome,
  FinancePayment,
  financeEffectOf,
  InvalidEventDataError,
  JournalEntry,
} from './journal-mapping';

/** Where a message came from, kept with what it did (an auditor can find it on the topic). */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

/** `repeat`: the id was applied before; `rejected`: not a CloudEvent of the ledger, or data unfit to post. */
export type ApplyResult = FinanceOutcome | 'repeat' | 'rejected';

/** Messages seen since start, by result: for health checks, metrics and tests. */
export type ApplyCounts = Record<ApplyResult, number>;

/** The longest message value kept in `rejected_messages`. */
const REJECTED_VALUE_CHARS_MAX = 10_000;

/**
 * The general-ledger export in Postgres. Each message is applied in one transaction that first
 * records its CloudEvent id in `processed_events` (insert … on conflict do nothing); only when
 * that insert took does the effect (journal lines, documents) follow, in the same transaction.
 * So a repeat (the relay's at-least-once delivery, or a redelivery after a crash before the
 * offset commit) changes nothing, and a crash mid-way leaves neither the id nor the effect.
 */
export class FinanceJournal {
  readonly counts: ApplyCounts = { posted: 0, recorded: 0, ignored: 0, missing_document: 0, repeat: 0, rejected: 0 };

  constructor(private readonly sql: SqlClient) {}

  async apply(value: unknown, from: KafkaCoordinates): Promise<ApplyResult> {
    let event: FinanceEvent;
    try {
      event = parseFinanceEvent(value);
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      await this.reject(value, from, error.message);
      return this.count('rejected');
    }
    try {
      return this.count(await this.sql.transaction((tx) => applyOnce(tx, event, from)));
    } catch (error) {
      // The transaction rolled back, id included: the message is kept aside instead.
      if (!(error instanceof InvalidEventDataError)) throw error;
      await this.reject(value, from, error.message);
      return this.count('rejected');
    }
  }

  private async reject(value: unknown, from: KafkaCoordinates, reason: string): Promise<void> {
    const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    await this.sql.query(
      `insert into ${FINANCE_SCHEMA}.rejected_messages (topic, kafka_partition, kafka_offset, reason, value)
       values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [from.topic, from.partition, from.offset, reason, text.slice(0, REJECTED_VALUE_CHARS_MAX)],
    );
  }

  private count(result: ApplyResult): ApplyResult {
    this.counts[result] += 1;
    return result;
  }
}

async function applyOnce(tx: SqlExecutor, event: FinanceEvent, from: KafkaCoordinates): Promise<ApplyResult> {
  const claimed = await tx.query(
    `insert into ${FINANCE_SCHEMA}.processed_events (event_id, event_type, log_position, topic, kafka_partition, kafka_offset, outcome)
     values ($1, $2, $3, $4, $5, $6, 'pending') on conflict (event_id) do nothing returning event_id`,
    [event.id, event.eventType, event.logPosition, from.topic, from.partition, from.offset],
  );
  if (claimed.rows.length === 0) return 'repeat';
  const needed = documentsNeeded(event);
  const effect = financeEffectOf(event, {
    invoice: needed.invoiceId === undefined ? null : await loadInvoice(tx, needed.invoiceId),
    payment: needed.paymentId === undefined ? null : await loadPayment(tx, needed.paymentId),
  });
  await writeEffect(tx, effect);
  await tx.query(`update ${FINANCE_SCHEMA}.processed_events set outcome = $2, reason = $3 where event_id = $1`, [
    event.id,
    effect.outcome,
    effect.reason ?? null,
  ]);
  return effect.outcome;
}

async function writeEffect(tx: SqlExecutor, effect: FinanceEffect): Promise<void> {
  if (effect.invoice) await saveInvoice(tx, effect.invoice);
  if (effect.payment) await savePayment(tx, effect.payment);
  if (effect.entry) await insertEntry(tx, effect.entry);
}

async function insertEntry(tx: SqlExecutor, entry: JournalEntry): Promise<void> {
  for (const [lineNumber, line] of entry.lines.entries()) {
    await tx.query(
      `insert into ${FINANCE_SCHEMA}.journal_lines
         (event_id, line_number, entry_date, account, currency, debit, credit, event_type, customer_id, invoice_id, payment_id, credit_note_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        entry.eventId,
        lineNumber,
        entry.day,
        line.account,
        entry.currency,
        line.debit,
        line.credit,
        entry.eventType,
        entry.customerId,
        entry.invoiceId,
        entry.paymentId,
        entry.creditNoteId,
      ],
    );
  }
}

async function loadInvoice(tx: SqlExecutor, id: string): Promise<FinanceInvoice | null> {
  // `for update`: a second consumer instance during a rebalance waits instead of crediting the same total twice.
  const result = await tx.query<{
    id: string;
    customer_id: string;
    currency: string;
    total: string;
    tax_total: string;
    revenue_total: string;
    tax_inclusive: boolean;
    lines: InvoiceLine[];
    issued_at: string | null;
    credit_applied: string;
    credited: string;
  }>(
    `select id, customer_id, currency, total::text as total, tax_total::text as tax_total, revenue_total::text as revenue_total,
            tax_inclusive, lines, issued_at, credit_applied::text as credit_applied, credited::text as credited
       from ${FINANCE_SCHEMA}.invoices where id = $1 for update`,
    [id],
  );
  const row = result.rows[0];
  if (!row) return null;
  // A numeric read back keeps whatever scale arithmetic gave it: back to the currency's minor unit.
  const money = (numeric: string) => Money.of(numeric, row.currency).toString();
  return {
    id: row.id,
    customerId: row.customer_id,
    currency: row.currency,
    total: money(row.total),
    taxTotal: money(row.tax_total),
    revenueTotal: money(row.revenue_total),
    taxInclusive: row.tax_inclusive,
    lines: row.lines,
    issuedAt: row.issued_at,
    creditApplied: money(row.credit_applied),
    credited: money(row.credited),
  };
}

async function saveInvoice(tx: SqlExecutor, invoice: FinanceInvoice): Promise<void> {
  await tx.query(
    `insert into ${FINANCE_SCHEMA}.invoices
       (id, customer_id, currency, total, tax_total, revenue_total, tax_inclusive, lines, issued_at, credit_applied, credited)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict (id) do update set issued_at = excluded.issued_at, credit_applied = excluded.credit_applied, credited = excluded.credited`,
    [
      invoice.id,
      invoice.customerId,
      invoice.currency,
      invoice.total,
      invoice.taxTotal,
      invoice.revenueTotal,
      invoice.taxInclusive,
      JSON.stringify(invoice.lines),
      invoice.issuedAt,
      invoice.creditApplied,
      invoice.credited,
    ],
  );
}

async function loadPayment(tx: SqlExecutor, id: string): Promise<FinancePayment | null> {
  const result = await tx.query<{ id: string; customer_id: string; currency: string; received_day: string }>(
    `select id, customer_id, currency, to_char(received_day, 'YYYY-MM-DD') as received_day from ${FINANCE_SCHEMA}.payments where id = $1`,
    [id],
  );
  const row = result.rows[0];
  return row ? { id: row.id, customerId: row.customer_id, currency: row.currency, receivedDay: row.received_day } : null;
}

async function savePayment(tx: SqlExecutor, payment: FinancePayment): Promise<void> {
  await tx.query(
    `insert into ${FINANCE_SCHEMA}.payments (id, customer_id, currency, received_day) values ($1, $2, $3, $4) on conflict (id) do nothing`,
    [payment.id, payment.customerId, payment.currency, payment.receivedDay],
  );
}
