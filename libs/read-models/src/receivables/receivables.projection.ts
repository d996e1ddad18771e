import { AccrualEvent } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { Projection } from '../projection';
import { AGING_BUCKETS, agingBucketSql } from './aging';
import { AGING_BLOCK_DAYS, agingBlockStart } from './receivables.schema';
import { applyReceivablesBatch } from './receivables-batch';

type ReceivableEvent = Extract<
  AccrualEvent,
  { type: 'InvoiceCreated' | 'InvoiceIssued' | 'InvoicePaymentApplied' | 'InvoiceCredited' | 'InvoiceVoided' | 'InvoiceMarkedUncollectible' }
>;

const RECEIVABLE_EVENT_TYPES = new Set<ReceivableEvent['type']>([
  'InvoiceCreated',
  'InvoiceIssued',
  'InvoicePaymentApplied',
  'InvoiceCredited',
  'InvoiceVoided',
  'InvoiceMarkedUncollectible',
]);

/** SQL: the UTC day of an instant parameter, never before the invoice's issue day. */
const effectiveDay = (parameter: string) => `greatest((${parameter}::timestamptz at time zone 'UTC')::date, issued_on)`;

/**
 * SQL: the first day the invoice stops counting: voided or written off, or settled in full (the
 * day of its last settlement, since every settlement lowers what is owed).
 */
export const OPEN_UNTIL = `coalesce(least(voided_on, written_off_on, case when settled >= owed_at_issue then last_settled_on end), 'infinity'::date)`;

/** Receivables per invoice, effective-dated, for AR aging as of any day and DSO. */
export const receivablesProjection: Projection = {
  name: 'receivables',
  handles: RECEIVABLE_EVENT_TYPES,
  async apply(tx, schema, { event, recorded }) {
    if (!RECEIVABLE_EVENT_TYPES.has(event.type as ReceivableEvent['type'])) return;
    await applyReceivableEvent(tx, schema, event as ReceivableEvent, recorded.position.toString());
  },
  // Many events at once, same rows as `apply` on each (receivables-batch.ts): projection lag.
  async applyBatch(tx, schema, projected) {
    await applyReceivablesBatch(tx, schema, projected.filter(({ event }) => RECEIVABLE_EVENT_TYPES.has(event.type as ReceivableEvent['type'])));
  },
  // The derived tables, once per batch for the invoices it touched (a few statements, not per event).
  async afterBatch(tx, schema, projected) {
    const touched = new Set<string>();
    for (const { event } of projected) {
      if (event.type === 'InvoiceIssued') touched.add(event.data.id);
      else if (RECEIVABLE_EVENT_TYPES.has(event.type as ReceivableEvent['type']) && event.type !== 'InvoiceCreated') {
        touched.add((event as Exclude<ReceivableEvent, { type: 'InvoiceCreated' | 'InvoiceIssued' }>).data.invoiceId);
      }
    }
    if (touched.size === 0) return;
    const ids = [[...touched]];
    await tx.query(`update ${schema}.receivable_invoices set open_until = ${OPEN_UNTIL} where invoice_id = any($1::text[])`, ids);
    await refreshReceivableBalances(tx, schema, 'invoice_id = any($1::text[])', ids);
    await refreshReceivableAgings(tx, schema, 'invoice_id = any($1::text[])', ids);
  },
};

async function applyReceivableEvent(tx: SqlExecutor, schema: string, event: ReceivableEvent, position: string): Promise<void> {
  const invoices = `${schema}.receivable_invoices`;
  switch (event.type) {
    case 'InvoiceCreated': {
      const { id, customerId, currency, total } = event.data;
      await tx.query(
        `insert into ${invoices} (invoice_id, customer_id, currency, total) values ($1, $2, $3, $4) on conflict (invoice_id) do nothing`,
        [id, customerId, currency, total],
      );
      return;
    }
    case 'InvoiceIssued': {
      // Customer credit applied at issue is paid at issue: the invoice starts owing its amount due.
      const { id, issuedAt, dueDate, amountDue } = event.data;
      await tx.query(
        `with issued as (
           update ${invoices} set issued_on = ($2::timestamptz at time zone 'UTC')::date, due_on = $3::date, owed_at_issue = $4::numeric,
             last_settled_on = ($2::timestamptz at time zone 'UTC')::date
           where invoice_id = $1 and issued_on is null
           returning currency, issued_on, coalesce(voided_on, 'infinity'::date) as voided_on, total
         )
         insert into ${schema}.receivable_sales (currency, issued_on, voided_on, total) select * from issued where total <> 0
         on conflict (currency, issued_on, voided_on) do update set total = receivable_sales.total + excluded.total`,
        [id, issuedAt, dueDate, amountDue],
      );
      break;
    }
    case 'InvoicePaymentApplied':
      await settle(tx, schema, event.data.invoiceId, 'payment', event.data.paymentId, event.data.at, event.data.amount, position);
      break;
    case 'InvoiceCredited':
      await settle(tx, schema, event.data.invoiceId, 'credit_note', event.data.creditNoteId, event.data.at, event.data.amount, position);
      break;
    case 'InvoiceVoided': {
      const voided = await tx.query<{ currency: string; issued_on: string; voided_on: string; total: string; was_sale: boolean }>(
        `update ${invoices} set voided_on = ${effectiveDay('$2')} where invoice_id = $1 and voided_on is null
         returning currency, issued_on::text, voided_on::text, total::text, issued_on is not null and total <> 0 as was_sale`,
        [event.data.invoiceId, event.data.at],
      );
      if (voided.rows[0]?.was_sale) await moveSale(tx, schema, voided.rows[0]);
      break;
    }
    case 'InvoiceMarkedUncollectible':
      await tx.query(`update ${invoices} set written_off_on = ${effectiveDay('$2')} where invoice_id = $1`, [
        event.data.invoiceId,
        event.data.at,
      ]);
      break;
  }
}

/** A voided invoice's total leaves DSO's not-void sales of its issue day for its void day. */
async function moveSale(tx: SqlExecutor, schema: string, row: { currency: string; issued_on: string; voided_on: string; total: string }): Promise<void> {
  const sales = `${schema}.receivable_sales`;
  await tx.query(
    `insert into ${sales} (currency, issued_on, voided_on, total) values ($1, $2::date, 'infinity', -$4::numeric), ($1, $2::date, $3::date, $4::numeric)
     on conflict (currency, issued_on, voided_on) do update set total = receivable_sales.total + excluded.total`,
    [row.currency, row.issued_on, row.voided_on, row.total],
  );
  // No zero rows: the table holds exactly what `refreshReceivableSales` would build.
  await tx.query(`delete from ${sales} where currency = $1 and issued_on = $2::date and voided_on = 'infinity' and total = 0`, [row.currency, row.issued_on]);
}

/**
 * Rebuilds `receivable_balances` for the (currency, customer, due day) groups of the issued
 * invoices matching `invoiceFilter` (SQL on `receivable_invoices`, e.g. 'invoice_id = $1', or
 * 'true' for all) from their invoices and settlements. Each invoice moves its group's balance
 * by `owed_at_issue` on its issue day, by −amount on each settlement day before it stops
 * counting, and by −(what it still owes) on that day (`open_until`). So the group's balance on D
 * is the sum the aging would take invoice by invoice on D, for every D. (Then refresh the agings.)
 */
export async function refreshReceivableBalances(tx: SqlExecutor, schema: string, invoiceFilter: string, params: unknown[]): Promise<void> {
  const groups = `select distinct currency, customer_id, due_on from ${schema}.receivable_invoices
                  where issued_on is not null and due_on is not null and (${invoiceFilter})`;
  await tx.query(
    `delete from ${schema}.receivable_balances b using (${groups}) g
     where b.currency = g.currency and b.customer_id = g.customer_id and b.due_on = g.due_on`,
    params,
  );
  await tx.query(
    `with invoices as (
       select i.invoice_id, i.currency, i.customer_id, i.due_on, i.issued_on, i.owed_at_issue,
              greatest(i.open_until, i.issued_on) as closes_on
       from ${schema}.receivable_invoices i join (${groups}) g
         on i.currency = g.currency and i.customer_id = g.customer_id and i.due_on = g.due_on
       where i.issued_on is not null
     ),
     settled as (
       select i.*, s.effective_on, s.amount from invoices i
       join ${schema}.receivable_settlements s on s.invoice_id = i.invoice_id and s.effective_on < i.closes_on
     ),
     moves as (
       select currency, customer_id, due_on, issued_on as day, owed_at_issue as amount from invoices
       union all
       select currency, customer_id, due_on, effective_on, -amount from settled
       union all
       select i.currency, i.customer_id, i.due_on, i.closes_on, -(i.owed_at_issue - coalesce(p.paid, 0))
       from invoices i left join (select invoice_id, sum(amount) as paid from settled group by 1) p on p.invoice_id = i.invoice_id
       where i.closes_on <> 'infinity'
     ),
     daily as (
       select currency, customer_id, due_on, day, sum(amount) as amount from moves group by 1, 2, 3, 4
     ),
     spans as (
       select currency, customer_id, due_on, day as valid_from,
              lead(day, 1, 'infinity'::date) over running as valid_until, sum(amount) over running as balance
       from daily window running as (partition by currency, customer_id, due_on order by day)
     )
     insert into ${schema}.receivable_balances (currency, customer_id, due_on, valid_from, valid_until, balance)
     select currency, customer_id, due_on, valid_from, valid_until, balance from spans where balance <> 0`,
    params,
  );
}

/** The days past due at which an owed balance enters a later bucket (1, 31, 61, 91). */
const BUCKET_EDGES = AGING_BUCKETS.flatMap((bucket) => (bucket.maxDaysPastDue === null ? [] : [bucket.maxDaysPastDue + 1]));

/**
 * Rebuilds `receivable_agings` for the customers (per currency) of the issued invoices matching
 * `invoiceFilter`, from their `receivable_balances`: each balance row adds its amount to the
 * bucket of its first day, moves it to the next bucket at each edge it crosses and takes it out
 * on its last; running sums per customer give the five buckets from each change on.
 */
export async function refreshReceivableAgings(tx: SqlExecutor, schema: string, invoiceFilter: string, params: unknown[]): Promise<void> {
  const customers = `select distinct currency, customer_id from ${schema}.receivable_invoices
                     where issued_on is not null and due_on is not null and (${invoiceFilter})`;
  await tx.query(
    `delete from ${schema}.receivable_agings a using (${customers}) c where a.currency = c.currency and a.customer_id = c.customer_id`,
    params,
  );
  const keys = AGING_BUCKETS.map(({ key }) => key);
  const edges = BUCKET_EDGES.map((edge) => `(${edge})`).join(', ');
  await tx.query(
    `with spans as (
       select b.* from ${schema}.receivable_balances b join (${customers}) c on b.currency = c.currency and b.customer_id = c.customer_id
     ),
     moves as (
       select currency, customer_id, valid_from as day, ${agingBucketSql('(valid_from - due_on)')} as bucket, balance as amount from spans
       union all
       select currency, customer_id, valid_until, ${agingBucketSql('(valid_until - 1 - due_on)')}, -balance from spans where valid_until <> 'infinity'
       union all
       select s.currency, s.customer_id, s.due_on + e.edge, b.bucket, b.sign * s.balance
       from spans s cross join (values ${edges}) e(edge)
       cross join lateral (values (${agingBucketSql('(e.edge - 1)')}, -1), (${agingBucketSql('e.edge')}, 1)) b(bucket, sign)
       where s.due_on + e.edge > s.valid_from and s.due_on + e.edge < s.valid_until
     ),
     daily as (
       select currency, customer_id, day, ${keys.map((key) => `coalesce(sum(amount) filter (where bucket = '${key}'), 0) as ${key}`).join(', ')}
       from moves group by 1, 2, 3
     ),
     running as (
       select currency, customer_id, day as valid_from, lead(day, 1, 'infinity'::date) over w as valid_until,
              ${keys.map((key) => `sum(${key}) over w as ${key}`).join(', ')}
       from daily window w as (partition by currency, customer_id order by day)
     )
     insert into ${schema}.receivable_agings (currency, customer_id, valid_from, valid_until, ${keys.join(', ')})
     select r.currency, r.customer_id,
            case when block = 0 then r.valid_from else b.first_block + ${AGING_BLOCK_DAYS} * block end,
            case when r.valid_until = 'infinity' then r.valid_until else least(r.valid_until, b.first_block + ${AGING_BLOCK_DAYS} * (block + 1)) end,
            ${keys.map((key) => `r.${key}`).join(', ')}
     from running r
     cross join lateral (select ${agingBlockStart('r.valid_from')} as first_block) b
     cross join lateral generate_series(0, case when r.valid_until = 'infinity' then 0
                                              else (r.valid_until - 1 - b.first_block) / ${AGING_BLOCK_DAYS} end) block
     where ${keys.map((key) => `r.${key} <> 0`).join(' or ')}`,
    params,
  );
}

/** Rebuilds `receivable_sales` from the issued invoices (what the projection keeps row by row). */
export async function refreshReceivableSales(tx: SqlExecutor, schema: string): Promise<void> {
  await tx.query(`delete from ${schema}.receivable_sales`);
  await tx.query(
    `insert into ${schema}.receivable_sales (currency, issued_on, voided_on, total)
     select currency, issued_on, coalesce(voided_on, 'infinity'::date), sum(total) from ${schema}.receivable_invoices
     where issued_on is not null group by 1, 2, 3 having sum(total) <> 0`,
  );
}

/** One payment or credit note on the invoice, effective on its day (at the earliest the issue day). */
async function settle(
  tx: SqlExecutor,
  schema: string,
  invoiceId: string,
  kind: 'payment' | 'credit_note',
  sourceId: string,
  at: string,
  amount: string,
  position: string,
): Promise<void> {
  // A credit note on a paid invoice lowers nothing (amount zero): it changes no receivable.
  await tx.query(
    `with inserted as (
       insert into ${schema}.receivable_settlements (invoice_id, kind, source_id, effective_on, amount, position)
       select invoice_id, $2, $3, ${effectiveDay('$4')}, $5::numeric, $6::numeric
       from ${schema}.receivable_invoices where invoice_id = $1 and issued_on is not null and $5::numeric <> 0
       on conflict (invoice_id, kind, source_id) do nothing
       returning effective_on, amount
     )
     update ${schema}.receivable_invoices i
     set settled = i.settled + inserted.amount, last_settled_on = greatest(i.last_settled_on, inserted.effective_on)
     from inserted where i.invoice_id = $1`,
    [invoiceId, kind, sourceId, at, amount, position],
  );
}
