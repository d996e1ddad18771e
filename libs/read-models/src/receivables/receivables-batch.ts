import Big from 'big.js';
import { AccrualEvent } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { addNumeric, columns, writeRows } from '../batch-rows';
import { ProjectedEvent } from '../projection';

type ReceivableEvent = Extract<
  AccrualEvent,
  { type: 'InvoiceCreated' | 'InvoiceIssued' | 'InvoicePaymentApplied' | 'InvoiceCredited' | 'InvoiceVoided' | 'InvoiceMarkedUncollectible' }
>;

/**
 * The receivables projection's batch path (`applyBatch`, projection lag): one read of the rows
 * the batch's events need (with the UTC day of each instant they carry, as Postgres computes it),
 * the statements of `receivablesProjection.apply` applied event by event in log order to those
 * rows in memory, then one write per table. Same rows as `apply` on each event
 * (receivables.int.spec.ts and apps/projector's replay test compare the two). The derived tables
 * are then rebuilt by `afterBatch`, as before.
 */
export async function applyReceivablesBatch(tx: SqlExecutor, schema: string, projected: readonly ProjectedEvent[]): Promise<void> {
  if (projected.length === 0) return;
  const events = projected.map(({ event, recorded }) => ({ event: event as ReceivableEvent, position: recorded.position.toString() }));
  const batch = await ReceivablesBatch.load(tx, schema, events.map(({ event }) => event));
  for (const { event, position } of events) batch.apply(event, position);
  await batch.write(tx, schema);
}

/** A `receivable_invoices` row as Postgres returns it as text (`open_until` is left to `afterBatch`). */
interface ReceivableRow {
  invoice_id: string;
  customer_id: string;
  currency: string;
  total: string;
  issued_on: string | null;
  due_on: string | null;
  owed_at_issue: string | null;
  settled: string;
  last_settled_on: string | null;
  voided_on: string | null;
  written_off_on: string | null;
}

interface StoredRow extends Omit<ReceivableRow, 'settled'> {
  kind: 'invoice' | 'settlement' | 'day';
  settled: string | null;
  /** For a settlement: `kind/source_id`; for a day: the instant. */
  key: string | null;
}

/** One change to a `receivable_sales` row; `checkZero`: the row goes when it is left at zero. */
interface SaleMove {
  key: string;
  currency: string;
  issuedOn: string;
  voidedOn: string;
  amount: string;
  checkZero: boolean;
}

const INFINITY = 'infinity';

const INVOICE_COLUMNS = columns(
  'invoice_id text',
  'customer_id text',
  'currency text',
  'total numeric',
  'issued_on date',
  'due_on date',
  'owed_at_issue numeric',
  'settled numeric',
  'last_settled_on date',
  'voided_on date',
  'written_off_on date',
);
const SALE_COLUMNS = columns('currency text', 'issued_on date', 'voided_on date', 'total numeric');
const SETTLEMENT_COLUMNS = columns('invoice_id text', 'kind text', 'source_id text', 'effective_on date', 'amount numeric', 'position numeric');

/** `greatest(day, issued_on)` on `YYYY-MM-DD` text, null ignored as Postgres' `greatest` does. */
function greatestDay(day: string, other: string | null): string {
  return other !== null && other > day ? other : day;
}

class ReceivablesBatch {
  private readonly invoices = new Map<string, ReceivableRow>();
  private readonly touched = new Set<string>();
  private readonly settlementKeys = new Set<string>();
  private readonly settlements: string[][] = [];
  private readonly sales: SaleMove[] = [];
  private readonly days = new Map<string, string>();

  static async load(tx: SqlExecutor, schema: string, events: readonly ReceivableEvent[]): Promise<ReceivablesBatch> {
    const invoiceIds = new Set<string>();
    const settlements: Array<[string, string, string]> = [];
    const instants = new Set<string>();
    for (const event of events) {
      if (event.type === 'InvoiceCreated') invoiceIds.add(event.data.id);
      else if (event.type === 'InvoiceIssued') {
        invoiceIds.add(event.data.id);
        instants.add(event.data.issuedAt);
      } else {
        invoiceIds.add(event.data.invoiceId);
        instants.add(event.data.at);
        if (event.type === 'InvoicePaymentApplied') settlements.push([event.data.invoiceId, 'payment', event.data.paymentId]);
        if (event.type === 'InvoiceCredited') settlements.push([event.data.invoiceId, 'credit_note', event.data.creditNoteId]);
      }
    }
    const stored = await tx.query<StoredRow>(
      `select 'invoice' as kind, invoice_id, customer_id, currency, total::text as total, issued_on::text as issued_on, due_on::text as due_on,
              owed_at_issue::text as owed_at_issue, settled::text as settled, last_settled_on::text as last_settled_on,
              voided_on::text as voided_on, written_off_on::text as written_off_on, null as key
         from ${schema}.receivable_invoices where invoice_id = any($1::text[])
       union all
       select 'settlement', s.invoice_id, null, null, null, null, null, null, null, null, null, null, s.kind || '/' || s.source_id
         from ${schema}.receivable_settlements s
         join unnest($2::text[], $3::text[], $4::text[]) as k(invoice_id, kind, source_id)
           on s.invoice_id = k.invoice_id and s.kind = k.kind and s.source_id = k.source_id
       union all
       select 'day', null, null, null, null, (at::timestamptz at time zone 'UTC')::date::text, null, null, null, null, null, null, at
         from unnest($5::text[]) as a(at)`,
      [[...invoiceIds], settlements.map((key) => key[0]), settlements.map((key) => key[1]), settlements.map((key) => key[2]), [...instants]],
    );
    const batch = new ReceivablesBatch();
    for (const row of stored.rows) {
      if (row.kind === 'day') batch.days.set(row.key as string, row.issued_on as string);
      else if (row.kind === 'settlement') batch.settlementKeys.add(`${row.invoice_id}/${row.key}`);
      else {
        const { kind: _kind, key: _key, ...invoice } = row;
        batch.invoices.set(row.invoice_id, { ...invoice, settled: row.settled as string });
      }
    }
    return batch;
  }

  private dayOf(instant: string): string {
    const day = this.days.get(instant);
    if (day === undefined) throw new Error(`receivables batch: no day read for ${instant}`);
    return day;
  }

  apply(event: ReceivableEvent, position: string): void {
    switch (event.type) {
      case 'InvoiceCreated': {
        const { id, customerId, currency, total } = event.data;
        if (this.invoices.has(id)) return;
        this.invoices.set(id, {
          invoice_id: id,
          customer_id: customerId,
          currency,
          total,
          issued_on: null,
          due_on: null,
          owed_at_issue: null,
          settled: '0',
          last_settled_on: null,
          voided_on: null,
          written_off_on: null,
        });
        this.touched.add(id);
        return;
      }
      case 'InvoiceIssued':
        return this.issue(event.data.id, this.dayOf(event.data.issuedAt), event.data.dueDate, event.data.amountDue);
      case 'InvoicePaymentApplied':
        return this.settle(event.data.invoiceId, 'payment', event.data.paymentId, event.data.at, event.data.amount, position);
      case 'InvoiceCredited':
        return this.settle(event.data.invoiceId, 'credit_note', event.data.creditNoteId, event.data.at, event.data.amount, position);
      case 'InvoiceVoided':
        return this.void(event.data.invoiceId, event.data.at);
      case 'InvoiceMarkedUncollectible': {
        const row = this.invoices.get(event.data.invoiceId);
        if (!row) return;
        this.update(row, { written_off_on: greatestDay(this.dayOf(event.data.at), row.issued_on) });
        return;
      }
    }
  }

  private update(row: ReceivableRow, changes: Partial<ReceivableRow>): ReceivableRow {
    const updated = { ...row, ...changes };
    this.invoices.set(row.invoice_id, updated);
    this.touched.add(row.invoice_id);
    return updated;
  }

  /** Customer credit applied at issue is paid at issue: the invoice starts owing its amount due. */
  private issue(invoiceId: string, issuedOn: string, dueOn: string, amountDue: string): void {
    const row = this.invoices.get(invoiceId);
    if (!row || row.issued_on !== null) return;
    const issued = this.update(row, { issued_on: issuedOn, due_on: dueOn, owed_at_issue: amountDue, last_settled_on: issuedOn });
    if (new Big(issued.total).eq(0)) return;
    this.moveSale(issued.currency, issuedOn, issued.voided_on ?? INFINITY, issued.total, false);
  }

  /** A credit note on a paid invoice lowers nothing (amount zero): it changes no receivable. */
  private settle(invoiceId: string, kind: string, sourceId: string, at: string, amount: string, position: string): void {
    const row = this.invoices.get(invoiceId);
    if (!row || row.issued_on === null || new Big(amount).eq(0)) return;
    const key = `${invoiceId}/${kind}/${sourceId}`;
    if (this.settlementKeys.has(key)) return;
    this.settlementKeys.add(key);
    const effectiveOn = greatestDay(this.dayOf(at), row.issued_on);
    this.settlements.push([invoiceId, kind, sourceId, effectiveOn, amount, position]);
    const lastSettledOn = row.last_settled_on === null || effectiveOn > row.last_settled_on ? effectiveOn : row.last_settled_on;
    this.update(row, { settled: addNumeric(row.settled, amount), last_settled_on: lastSettledOn });
  }

  /** A voided invoice's total leaves DSO's not-void sales of its issue day for its void day. */
  private void(invoiceId: string, at: string): void {
    const row = this.invoices.get(invoiceId);
    if (!row || row.voided_on !== null) return;
    const voided = this.update(row, { voided_on: greatestDay(this.dayOf(at), row.issued_on) });
    if (voided.issued_on === null || new Big(voided.total).eq(0)) return;
    this.moveSale(voided.currency, voided.issued_on, INFINITY, negated(voided.total), true);
    this.moveSale(voided.currency, voided.issued_on, voided.voided_on as string, voided.total, false);
  }

  private moveSale(currency: string, issuedOn: string, voidedOn: string, amount: string, checkZero: boolean): void {
    this.sales.push({ key: JSON.stringify([currency, issuedOn, voidedOn]), currency, issuedOn, voidedOn, amount, checkZero });
  }

  /**
   * One statement for the tables, and one more when voids may have emptied sales rows. Sales: the
   * moves summed per row (numeric sums are exact), then the rows whose last move was a void's and
   * that are left at zero go, as the void's own delete took them (a zero row left by an issue
   * stays, as it did event by event).
   */
  async write(tx: SqlExecutor, schema: string): Promise<void> {
    const rows = [...this.touched].map((id) => {
      const row = this.invoices.get(id) as ReceivableRow;
      return [
        row.invoice_id,
        row.customer_id,
        row.currency,
        row.total,
        row.issued_on,
        row.due_on,
        row.owed_at_issue,
        row.settled,
        row.last_settled_on,
        row.voided_on,
        row.written_off_on,
      ];
    });
    const sales = this.summedSales();
    await writeRows(tx, [
      {
        table: `${schema}.receivable_invoices`,
        columns: INVOICE_COLUMNS,
        rows,
        onConflict: `on conflict (invoice_id) do update set issued_on = excluded.issued_on, due_on = excluded.due_on,
           owed_at_issue = excluded.owed_at_issue, settled = excluded.settled, last_settled_on = excluded.last_settled_on,
           voided_on = excluded.voided_on, written_off_on = excluded.written_off_on`,
      },
      { table: `${schema}.receivable_settlements`, columns: SETTLEMENT_COLUMNS, rows: this.settlements, onConflict: 'on conflict (invoice_id, kind, source_id) do nothing' },
      {
        table: `${schema}.receivable_sales`,
        columns: SALE_COLUMNS,
        rows: sales.map((sale) => [sale.currency, sale.issuedOn, sale.voidedOn, sale.amount]),
        onConflict: 'on conflict (currency, issued_on, voided_on) do update set total = receivable_sales.total + excluded.total',
      },
    ]);
    // Only once the sums are in: the rows whose last move was a void's, left at zero.
    const emptied = sales.filter((sale) => sale.checkZero);
    if (emptied.length === 0) return;
    await tx.query(
      `delete from ${schema}.receivable_sales s using unnest($1::text[], $2::text[], $3::text[]) as c(currency, issued_on, voided_on)
       where s.currency = c.currency and s.issued_on = c.issued_on::date and s.voided_on = c.voided_on::date and s.total = 0`,
      [emptied.map((sale) => sale.currency), emptied.map((sale) => sale.issuedOn), emptied.map((sale) => sale.voidedOn)],
    );
  }

  /** The batch's moves summed per sales row (numeric sums are exact); `checkZero` of each row's last move. */
  private summedSales(): SaleMove[] {
    const summed = new Map<string, SaleMove>();
    for (const move of this.sales) {
      const sum = summed.get(move.key);
      summed.set(move.key, sum ? { ...move, amount: addNumeric(sum.amount, move.amount) } : move);
    }
    return [...summed.values()];
  }
}

/** `-x` as Postgres' numeric negation writes it (same scale; no negative zero). */
function negated(amount: string): string {
  if (amount.startsWith('-')) return amount.slice(1);
  return new Big(amount).eq(0) ? amount : `-${amount}`;
}
