import { PgSqlClient } from '@accrual/database';
import { Money } from '@accrual/money';
import { migrateReadModels, queryArAging, queryDso } from '@accrual/read-models';
import { OPEN_UNTIL, refreshReceivableAgings, refreshReceivableBalances, refreshReceivableSales } from '../../libs/read-models/src/receivables/receivables.projection';
import { Figures, Goal } from './results';

export const REPORTS_GOALS: Goal[] = [
  { figure: 'ar_aging_p99_ms', kind: 'max', target: 50, note: 'queryArAging at random past dates and today' },
  { figure: 'dso_p99_ms', kind: 'max', target: 50, note: 'queryDso over random windows' },
];

export interface ReportsBenchOptions {
  invoices: number;
  customers: number;
  /** Timed queries of each report (after a warm-up). */
  queries: number;
}

const SCHEMA = 'read_models';
/** The books span five years; "today" is the last day, and nothing is dated after it. */
const FIRST_DAY = '2021-01-01';
const LAST_DAY = '2025-12-31';
const SPAN_DAYS = 1826;
const WARM_UP = 20;

/**
 * Fills the receivables read model with `invoices` invoices as the projection would have written
 * them (issue, due dates at net 15/30/45, payments and credit notes on their effective days, voids,
 * write-offs, customer credit at issue), in bulk SQL, then derives the pre-summed tables with the
 * projection's own `refreshReceivableBalances`/`refreshReceivableSales` over every invoice.
 */
async function fill(sql: PgSqlClient, options: ReportsBenchOptions): Promise<void> {
  const schema = SCHEMA;
  await migrateReadModels(sql, schema);
  await sql.transaction(async (tx) => {
    await tx.query(`select setseed(0.2026)`);
    await tx.query(
      `create temporary table bench_plan on commit drop as
       with drawn as (
         select n, 'inv_' || lpad(n::text, 8, '0') as invoice_id,
                'cus_' || lpad((n % $2)::text, 6, '0') as customer_id,
                case when n % 10 = 0 then 'EUR' else 'USD' end as currency,
                date '${FIRST_DAY}' + ((n::bigint * ${SPAN_DAYS}) / ($1 + 1))::int as issued_on,
                round((10 + random() * 990)::numeric, 2) as total,
                random() as r_credit, random() as r_credit_share, random() as r_terms,
                random() as r_outcome, random() as r_a, random() as r_b
         from generate_series(1, $1) n
       ),
       owed as (
         select *, total - case when r_credit < 0.05 then round(total * r_credit_share::numeric, 2) else 0 end as owed,
                issued_on + (array[15, 30, 45])[1 + floor(r_terms * 3)::int] as due_on
         from drawn
       )
       select invoice_id, customer_id, currency, total, owed, issued_on, due_on,
              case when r_outcome >= 0.80 and r_outcome < 0.85 then 'credit_note' else 'payment' end as first_kind,
              case when r_outcome < 0.70 then issued_on + floor(r_a * 75)::int
                   when r_outcome < 0.80 then issued_on + floor(r_a * 40)::int
                   when r_outcome < 0.85 then issued_on + floor(r_a * 20)::int
                   when r_outcome < 0.88 then null
                   when r_outcome < 0.90 then issued_on + floor(r_a * 60)::int
                   when r_outcome < 0.995 then issued_on + 90 + floor(r_a * 310)::int end as first_on,
              case when r_outcome < 0.70 then owed
                   when r_outcome < 0.80 then round(owed / 2, 2)
                   when r_outcome < 0.85 then round(owed * 0.2, 2)
                   when r_outcome < 0.88 then null
                   when r_outcome < 0.90 then round(owed * 0.3, 2)
                   when r_outcome < 0.995 then owed end as first_amount,
              case when r_outcome >= 0.70 and r_outcome < 0.80 then issued_on + 30 + floor(r_b * 90)::int
                   when r_outcome >= 0.80 and r_outcome < 0.85 then issued_on + 10 + floor(r_b * 50)::int end as second_on,
              case when r_outcome >= 0.70 and r_outcome < 0.80 then owed - round(owed / 2, 2)
                   when r_outcome >= 0.80 and r_outcome < 0.85 then owed - round(owed * 0.2, 2) end as second_amount,
              case when r_outcome >= 0.85 and r_outcome < 0.88 then issued_on + floor(r_a * 30)::int end as voided_on,
              case when r_outcome >= 0.88 and r_outcome < 0.90 then issued_on + 90 + floor(r_b * 110)::int end as written_off_on
       from owed`,
      [options.invoices, options.customers],
    );
    // Nothing is dated after the last day of the books: later settlements have not happened yet.
    await tx.query(
      `insert into ${schema}.receivable_settlements (invoice_id, kind, source_id, effective_on, amount, position)
       select invoice_id, kind, invoice_id || '_' || ordinal, effective_on, amount, 0 from (
         select invoice_id, first_kind as kind, 1 as ordinal, first_on as effective_on, first_amount as amount from bench_plan
         union all
         select invoice_id, 'payment', 2, second_on, second_amount from bench_plan
       ) s
       where effective_on is not null and effective_on <= date '${LAST_DAY}' and amount <> 0`,
    );
    await tx.query(
      `insert into ${schema}.receivable_invoices
         (invoice_id, customer_id, currency, total, issued_on, due_on, owed_at_issue, settled, last_settled_on, voided_on, written_off_on)
       select p.invoice_id, p.customer_id, p.currency, p.total, p.issued_on, p.due_on, p.owed, coalesce(s.settled, 0),
              greatest(p.issued_on, s.last_on),
              case when p.voided_on <= date '${LAST_DAY}' then p.voided_on end,
              case when p.written_off_on <= date '${LAST_DAY}' then p.written_off_on end
       from bench_plan p
       left join (select invoice_id, sum(amount) as settled, max(effective_on) as last_on from ${schema}.receivable_settlements group by 1) s
         on s.invoice_id = p.invoice_id`,
    );
    await tx.query(`update ${schema}.receivable_invoices set open_until = ${OPEN_UNTIL}`);
    await refreshReceivableBalances(tx, schema, 'true', []);
    await refreshReceivableAgings(tx, schema, 'true', []);
    await refreshReceivableSales(tx, schema);
  });
  await sql.exec(`vacuum analyze ${schema}.receivable_invoices, ${schema}.receivable_settlements, ${schema}.receivable_balances, ${schema}.receivable_agings, ${schema}.receivable_sales`);
}

/** A deterministic day in the books, `fraction` of the way through (0 = first day). */
function dayAt(fraction: number): string {
  const offset = Math.min(SPAN_DAYS - 1, Math.floor(fraction * SPAN_DAYS));
  return new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * AR aging and DSO on a read model of `invoices` invoices: the aging at random days of the five
 * years (one in five at today), DSO over random windows of a month, a quarter or a year.
 * Times the query functions the API's controller calls, one at a time.
 */
export async function benchReports(databaseUrl: string, options: ReportsBenchOptions): Promise<Figures> {
  const sql = new PgSqlClient({ connectionString: databaseUrl, maxConnections: 2, applicationName: 'accrual-bench' });
  try {
    const started = Date.now();
    await fill(sql, options);
    const counts = await sql.query<{ invoices: string; balances: string }>(
      `select (select count(*) from ${SCHEMA}.receivable_invoices)::text as invoices, (select count(*) from ${SCHEMA}.receivable_agings)::text as balances`,
    );
    log(`fill: ${counts.rows[0].invoices} invoices, ${counts.rows[0].balances} aging rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await checkAgainstInvoices(sql);
    const next = random(42);
    const asOf = () => (next() < 0.2 ? LAST_DAY : dayAt(next()));
    const aging: number[] = [];
    const dso: number[] = [];
    let customers = 0;
    for (let query = 0; query < WARM_UP + options.queries; query += 1) {
      const day = asOf();
      const elapsed = await timed(async () => {
        customers = Math.max(customers, (await queryArAging(sql, day, 'USD')).customers.length);
      });
      if (query >= WARM_UP) aging.push(elapsed);
    }
    for (let query = 0; query < WARM_UP + options.queries; query += 1) {
      const days = [30, 91, 365][Math.floor(next() * 3)];
      const to = asOf();
      const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const elapsed = await timed(() => queryDso(sql, from, to, days, 'USD'));
      if (query >= WARM_UP) dso.push(elapsed);
    }
    log(`aging: p50 ${percentile(aging, 50).toFixed(1)} ms, p99 ${percentile(aging, 99).toFixed(1)} ms (up to ${customers} customers a report); dso: p50 ${percentile(dso, 50).toFixed(1)} ms`);
    return {
      ar_aging_p99_ms: round1(percentile(aging, 99)),
      dso_p99_ms: round1(percentile(dso, 99)),
    };
  } finally {
    await sql.close();
  }
}

/** The pre-summed answer must be the invoice-by-invoice one (docs/reporting.md): a few days checked in full. */
async function checkAgainstInvoices(sql: PgSqlClient): Promise<void> {
  for (const day of [dayAt(0.25), dayAt(0.8), LAST_DAY]) {
    const direct = await sql.query<{ owed: string }>(
      `select coalesce(sum(owed), 0)::text as owed from (
         select i.owed_at_issue - coalesce((select sum(s.amount) from ${SCHEMA}.receivable_settlements s
                                            where s.invoice_id = i.invoice_id and s.effective_on <= $2::date), 0) as owed
         from ${SCHEMA}.receivable_invoices i
         where i.currency = $1 and i.issued_on <= $2::date and i.open_until > $2::date) open`,
      ['USD', day],
    );
    const report = await queryArAging(sql, day, 'USD');
    if (Money.of(direct.rows[0].owed, 'USD').toString() !== report.totals.total) {
      throw new Error(`reports bench: aging total ${report.totals.total} on ${day}, invoices say ${direct.rows[0].owed}`);
    }
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function log(message: string): void {
  process.stderr.write(`[bench] reports ${message}\n`);
}
