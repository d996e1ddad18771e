import { AccrualEvent } from '@accrual/billing';
import { PgliteSqlClient, SqlClient } from '@accrual/database';
import { RecordedEvent } from '@accrual/event-store';
import { Money } from '@accrual/money';
import { describeWithPostgres } from '../../../../test/support/suites';
import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { migrateReadModels } from '../schema';
import { agingBucketOf, assembleAgingReport, CustomerBuckets } from './aging';
import { receivablesProjection, refreshReceivableAgings, refreshReceivableBalances, refreshReceivableSales } from './receivables.projection';
import { queryArAging, queryDso } from './receivables.queries';

/**
 * The pre-summed receivables (`receivable_balances`, `receivable_sales`) against the contract's
 * definition computed invoice by invoice in the test: random invoices with back-dated and late
 * settlements, credit at issue, voids and write-offs, events applied in a random order; the aging
 * on every day of the period and DSO over many windows must match, on both databases.
 */
const SCHEMA = 'receivables_check';
const BATCHED_SCHEMA = 'receivables_batched';
const DAY_MS = 86_400_000;
const BASE = Date.parse('2026-01-01T00:00:00Z');
const dayOf = (offset: number) => new Date(BASE + offset * DAY_MS).toISOString().slice(0, 10);
const instantOf = (offset: number, hour: number) => new Date(BASE + offset * DAY_MS + hour * 3_600_000).toISOString();

interface Invoice {
  id: string;
  customerId: string;
  currency: string;
  totalCents: bigint;
  owedCents: bigint;
  issued: number;
  due: number;
  settlements: Array<{ day: number; cents: bigint }>;
  voided: number | null;
  writtenOff: number | null;
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generate(seed: number, count: number): { invoices: Invoice[]; events: AccrualEvent[] } {
  const next = random(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const invoices: Invoice[] = [];
  const perInvoice: AccrualEvent[][] = [];
  for (let index = 0; index < count; index += 1) {
    const issued = int(0, 90);
    const totalCents = BigInt(int(0, 50_000));
    const creditCents = next() < 0.2 ? (totalCents * BigInt(int(0, 100))) / 100n : 0n;
    const owedCents = totalCents - creditCents;
    const invoice: Invoice = {
      id: `inv_${index}`,
      customerId: `cus_${int(1, 4)}`,
      currency: next() < 0.8 ? 'USD' : 'EUR',
      totalCents,
      owedCents,
      issued,
      due: issued + [0, 15, 30][int(0, 2)],
      settlements: [],
      voided: next() < 0.1 ? issued + int(-3, 60) : null,
      writtenOff: next() < 0.1 ? issued + int(-3, 90) : null,
    };
    let left = owedCents;
    for (let settlement = int(0, 3); settlement > 0 && left > 0n; settlement -= 1) {
      const cents = next() < 0.4 ? left : (left * BigInt(int(1, 99))) / 100n;
      if (cents === 0n) continue;
      invoice.settlements.push({ day: issued + int(-5, 120), cents });
      left -= cents;
    }
    invoices.push(invoice);
    const money = (cents: bigint) => Money.fromMinorUnits(cents, invoice.currency).toString();
    const events = [
      { type: 'InvoiceCreated', data: { id: invoice.id, customerId: invoice.customerId, currency: invoice.currency, total: money(totalCents) } },
      {
        type: 'InvoiceIssued',
        data: { id: invoice.id, issuedAt: instantOf(issued, int(0, 23)), dueDate: dayOf(invoice.due), amountDue: money(owedCents) },
      },
      ...invoice.settlements.map((settlement, n) =>
        next() < 0.5
          ? { type: 'InvoicePaymentApplied', data: { invoiceId: invoice.id, paymentId: `pay_${index}_${n}`, at: instantOf(settlement.day, 12), amount: money(settlement.cents) } }
          : { type: 'InvoiceCredited', data: { invoiceId: invoice.id, creditNoteId: `cn_${index}_${n}`, at: instantOf(settlement.day, 12), amount: money(settlement.cents) } },
      ),
      ...(invoice.voided === null ? [] : [{ type: 'InvoiceVoided', data: { invoiceId: invoice.id, at: instantOf(invoice.voided, 5) } }]),
      ...(invoice.writtenOff === null ? [] : [{ type: 'InvoiceMarkedUncollectible', data: { invoiceId: invoice.id, at: instantOf(invoice.writtenOff, 5) } }]),
    ] as unknown as AccrualEvent[];
    // Settlements, voids and write-offs arrive in any order after the issue (late, back-dated facts).
    const [created, issue, ...rest] = events;
    rest.sort(() => next() - 0.5);
    perInvoice.push([created, issue, ...rest]);
  }
  // Interleave the invoices' streams at random, each in its own order.
  const events: AccrualEvent[] = [];
  const cursors = perInvoice.map(() => 0);
  let left = perInvoice.reduce((total, stream) => total + stream.length, 0);
  while (left > 0) {
    const stream = int(0, perInvoice.length - 1);
    if (cursors[stream] >= perInvoice[stream].length) continue;
    events.push(perInvoice[stream][cursors[stream]++]);
    left -= 1;
  }
  return { invoices, events };
}

/** What the invoice owes on day `day` by the contract's definition (0 when it does not count). */
function owedOn(invoice: Invoice, day: number): bigint {
  if (invoice.issued > day) return 0n;
  const from = (offset: number) => Math.max(offset, invoice.issued);
  if (invoice.voided !== null && from(invoice.voided) <= day) return 0n;
  if (invoice.writtenOff !== null && from(invoice.writtenOff) <= day) return 0n;
  return invoice.settlements.reduce((owed, settlement) => (from(settlement.day) <= day ? owed - settlement.cents : owed), invoice.owedCents);
}

function expectedAging(invoices: readonly Invoice[], day: number, currency: string) {
  const byCustomer = new Map<string, CustomerBuckets>();
  for (const invoice of invoices) {
    if (invoice.currency !== currency || owedOn(invoice, day) === 0n) continue;
    const row = byCustomer.get(invoice.customerId) ?? { customerId: invoice.customerId, owed: { current: 0n, d1_30: 0n, d31_60: 0n, d61_90: 0n, d90_plus: 0n } };
    row.owed[agingBucketOf(day - invoice.due)] += owedOn(invoice, day);
    byCustomer.set(invoice.customerId, row);
  }
  return assembleAgingReport(dayOf(day), currency, [...byCustomer.values()]);
}

async function tableText(sql: SqlClient, table: string, order: string, schema = SCHEMA): Promise<string[]> {
  const result = await sql.query<{ row: string }>(`select t::text as row from ${schema}.${table} t order by ${order}`);
  return result.rows.map((row) => row.row);
}

describeWithPostgres('receivables read model: pre-summed balances equal the invoice-by-invoice definition', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let sql: SqlClient;
    let database: TestDatabase | null = null;
    const { invoices, events } = generate(20_260_101, 160);

    beforeAll(async () => {
      if (kind === 'postgres') {
        const opened = await openTestPostgres('accrual_receivables');
        sql = opened.sql;
        database = opened.database;
      } else {
        sql = await PgliteSqlClient.open();
      }
      await migrateReadModels(sql, SCHEMA);
      // Batches of 50 events in a transaction each, as the projector applies them (`applyEventBatch`).
      for (let start = 0; start < events.length; start += 50) {
        const batch = events.slice(start, start + 50).map((event, offset) => ({ event, recorded: { position: BigInt(start + offset + 1) } as unknown as RecordedEvent }));
        await sql.transaction(async (tx) => {
          for (const projected of batch) await receivablesProjection.apply(tx, SCHEMA, projected);
          await receivablesProjection.afterBatch?.(tx, SCHEMA, batch);
        });
      }
    });

    afterAll(async () => {
      await sql?.close();
      await database?.drop();
    });

    it('gives the aging on every day of the period, in both currencies', async () => {
      for (let day = -2; day <= 230; day += 1) {
        for (const currency of ['USD', 'EUR']) {
          expect(await queryArAging(sql, dayOf(day), currency, SCHEMA)).toEqual(expectedAging(invoices, day, currency));
        }
      }
    });

    it('gives DSO over many windows', async () => {
      for (let from = -5; from <= 200; from += 7) {
        for (const length of [1, 10, 31, 95]) {
          const to = from + length - 1;
          const sales = invoices
            .filter((invoice) => invoice.currency === 'USD' && invoice.issued >= from && invoice.issued <= to)
            .filter((invoice) => invoice.voided === null || Math.max(invoice.voided, invoice.issued) > to)
            .reduce((total, invoice) => total + invoice.totalCents, 0n);
          const ending = invoices.filter((invoice) => invoice.currency === 'USD').reduce((total, invoice) => total + owedOn(invoice, to), 0n);
          const report = await queryDso(sql, dayOf(from), dayOf(to), length, 'USD', SCHEMA);
          expect([dayOf(from), report.creditSales, report.endingReceivables]).toEqual([
            dayOf(from),
            Money.fromMinorUnits(sales, 'USD').toString(),
            Money.fromMinorUnits(ending, 'USD').toString(),
          ]);
        }
      }
    });

    it('applied a batch at a time (applyBatch), keeps exactly the rows it keeps event by event', async () => {
      await migrateReadModels(sql, BATCHED_SCHEMA);
      // Batches of varying size, so invoices' events fall in one batch and across batches.
      for (let start = 0, size = 1; start < events.length; start += size, size = (size * 7) % 97) {
        const batch = events.slice(start, start + size).map((event, offset) => ({ event, recorded: { position: BigInt(start + offset + 1) } as unknown as RecordedEvent }));
        await sql.transaction(async (tx) => {
          await receivablesProjection.applyBatch?.(tx, BATCHED_SCHEMA, batch);
          await receivablesProjection.afterBatch?.(tx, BATCHED_SCHEMA, batch);
        });
      }
      const tables = [
        ['receivable_invoices', 'invoice_id'],
        ['receivable_settlements', 'invoice_id, kind, source_id'],
        ['receivable_sales', 'currency, issued_on, voided_on'],
        ['receivable_balances', 'currency, customer_id, due_on, valid_from'],
        ['receivable_agings', 'currency, customer_id, valid_from'],
      ] as const;
      const eventByEvent = await Promise.all(tables.map(([table, order]) => tableText(sql, table, order)));
      expect(eventByEvent.every((rows) => rows.length > 20)).toBe(true);
      expect(await Promise.all(tables.map(([table, order]) => tableText(sql, table, order, BATCHED_SCHEMA)))).toEqual(eventByEvent);
    });

    it('keeps, event by event, exactly the rows a rebuild from the invoices and settlements gives', async () => {
      const tables = [
        ['receivable_balances', 'currency, customer_id, due_on, valid_from'],
        ['receivable_agings', 'currency, customer_id, valid_from'],
        ['receivable_sales', 'currency, issued_on, voided_on'],
      ] as const;
      const live = await Promise.all(tables.map(([table, order]) => tableText(sql, table, order)));
      expect(live.map((rows) => rows.length > 20)).toEqual([true, true, true]);
      await sql.transaction(async (tx) => {
        await refreshReceivableBalances(tx, SCHEMA, 'true', []);
        await refreshReceivableAgings(tx, SCHEMA, 'true', []);
        await refreshReceivableSales(tx, SCHEMA);
      });
      expect(await Promise.all(tables.map(([table, order]) => tableText(sql, table, order)))).toEqual(live);
    });
  });
});
