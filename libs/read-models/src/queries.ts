import { Aggregation, ActiveSubscription, CustomerProfile, InvoiceLineDraft, InvoiceView, PriceDefinition } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from './schema';

/** Queries read only read models. Every function takes the schema so a replay can be queried too. */

export async function findCustomer(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<CustomerProfile | null> {
  const result = await sql.query<{ profile: CustomerProfile }>(`select profile from ${schema}.customers where id = $1`, [id]);
  return result.rows[0]?.profile ?? null;
}

export async function findSubscription(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<ActiveSubscription | null> {
  const result = await sql.query<{ state: ActiveSubscription }>(`select state from ${schema}.subscriptions where id = $1`, [id]);
  return result.rows[0]?.state ?? null;
}

export async function findInvoice(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<InvoiceView | null> {
  const result = await sql.query<{ view: InvoiceView }>(`select view from ${schema}.invoices where id = $1`, [id]);
  return result.rows[0]?.view ?? null;
}

export interface InvoiceFilter {
  customerId?: string;
  status?: string;
  limit: number;
  cursor?: { position: string; id: string };
}

/** Newest first; the cursor is the last row's (created position, id). */
export async function listInvoices(
  sql: SqlExecutor,
  filter: InvoiceFilter,
  schema = LIVE_SCHEMA,
): Promise<{ rows: InvoiceView[]; last: { position: string; id: string } | null }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.customerId) {
    params.push(filter.customerId);
    conditions.push(`customer_id = $${params.length}`);
  }
  if (filter.status) {
    params.push(filter.status);
    conditions.push(`status = $${params.length}`);
  }
  if (filter.cursor) {
    params.push(filter.cursor.position, filter.cursor.id);
    conditions.push(`(created_position, id) < ($${params.length - 1}::numeric, $${params.length})`);
  }
  params.push(filter.limit + 1);
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const result = await sql.query<{ view: InvoiceView; created_position: string; id: string }>(
    `select view, created_position, id from ${schema}.invoices ${where}
     order by created_position desc, id desc limit $${params.length}`,
    params,
  );
  const page = result.rows.slice(0, filter.limit);
  const more = result.rows.length > filter.limit;
  const tail = page[page.length - 1];
  return { rows: page.map((row) => row.view), last: more && tail ? { position: tail.created_position, id: tail.id } : null };
}

export async function findMeter(
  sql: SqlExecutor,
  code: string,
  schema = LIVE_SCHEMA,
): Promise<{ code: string; aggregation: Aggregation; uniqueBy: string | null } | null> {
  const result = await sql.query<{ code: string; aggregation: Aggregation; unique_by: string | null }>(
    `select code, aggregation, unique_by from ${schema}.meters where code = $1`,
    [code],
  );
  const row = result.rows[0];
  return row ? { code: row.code, aggregation: row.aggregation, uniqueBy: row.unique_by } : null;
}

export async function findPrices(sql: SqlExecutor, ids: readonly string[], schema = LIVE_SCHEMA): Promise<Map<string, PriceDefinition>> {
  const result = await sql.query<{ definition: PriceDefinition }>(
    `select definition from ${schema}.prices where id = any($1::text[])`,
    [ids],
  );
  return new Map(result.rows.map((row) => [row.definition.id, row.definition]));
}

export interface UsageWindow {
  customerId: string;
  meterCode: string;
  /** Only usage for this subscription or sent for the customer without one. */
  subscriptionId?: string;
  from: string;
  to: string;
  /** Only usage at or before this log position (a billing run's snapshot; late usage comes after it). */
  throughPosition?: string;
}

/** A meter's aggregate over [from, to), as a decimal string ("0" when there is no usage). */
export async function aggregateUsage(
  sql: SqlExecutor,
  window: UsageWindow,
  aggregation: Aggregation,
  uniqueBy: string | null,
  schema = LIVE_SCHEMA,
): Promise<string> {
  const expression: Record<Aggregation, string> = {
    sum: 'coalesce(sum(quantity), 0)',
    count: 'count(*)',
    max: 'coalesce(max(quantity), 0)',
    unique_count: 'count(distinct properties ->> $7)',
    last: `coalesce((array_agg(quantity order by occurred_at desc, position desc))[1], 0)`,
  };
  const params: unknown[] = [window.customerId, window.meterCode, window.from, window.to, window.subscriptionId ?? null, window.throughPosition ?? null];
  if (aggregation === 'unique_count') params.push(uniqueBy);
  const result = await sql.query<{ value: string }>(
    `select (${expression[aggregation]})::text as value from ${schema}.usage_events
     where customer_id = $1 and meter_code = $2 and occurred_at >= $3 and occurred_at < $4
       and ($5::text is null or subscription_id is null or subscription_id = $5)
       and ($6::numeric is null or position <= $6::numeric)`,
    params,
  );
  return normalizeDecimal(result.rows[0]?.value ?? '0');
}

function normalizeDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** Ids of subscriptions due at `asOf` (or with late usage for a period ended by then), in id order, after `after` (keyset paging). */
export async function subscriptionsDue(
  sql: SqlExecutor,
  asOf: string,
  limit: number,
  after = '',
  schema = LIVE_SCHEMA,
): Promise<string[]> {
  const result = await sql.query<{ id: string }>(
    `select id from ${schema}.subscriptions s
     where ${subscriptionDueCondition(schema)}
       and id > $2 order by id limit $3`,
    [asOf, after, limit],
  );
  return result.rows.map((row) => row.id);
}

/**
 * SQL: subscription `s` is due at `$1` (asOf): a period to bill, or late usage for a period ended by then.
 * `in` rather than a correlated `exists`: the same rows, but Postgres 15 costs the `exists` form as
 * if it ran per row, and on a table not yet analyzed (the first run after a bulk load) that estimate
 * crossed `jit_above_cost`, so every page of a billing run paid about 250 ms of JIT compilation.
 */
function subscriptionDueCondition(schema: string): string {
  return `(s.next_billing_at <= $1
        or s.id in (select l.subscription_id from ${schema}.late_usage l where l.period_end::timestamptz <= $1::timestamptz))`;
}

export interface DueSubscription {
  id: string;
  customerId: string;
  /** The folded state, as of `revision` (null: a row from before revisions were kept; read the stream). */
  state: ActiveSubscription;
  revision: bigint | null;
}

/**
 * The subscriptions due at `asOf` of the next `customerLimit` customers after `afterCustomerId`,
 * by customer then id (keyset paging by customer). A page holds every due subscription of its
 * customers, so a billing run puts all of a customer's charges on one invoice (CONTRACT §4).
 * The page's rows are read back as a range of the customer index (after the previous page, up to
 * the page's last customer): joining the page instead planned as a scan of the whole table per page.
 */
export async function dueSubscriptionsByCustomer(
  sql: SqlExecutor,
  asOf: string,
  customerLimit: number,
  afterCustomerId = '',
  schema = LIVE_SCHEMA,
): Promise<DueSubscription[]> {
  const result = await sql.query<{ id: string; customer_id: string; state: ActiveSubscription; revision: string | null }>(
    `with page as (
       select distinct s.customer_id from ${schema}.subscriptions s
       where ${subscriptionDueCondition(schema)} and s.customer_id > $2
       order by s.customer_id limit $3)
     select s.id, s.customer_id, s.state, s.revision::text as revision from ${schema}.subscriptions s
     where s.customer_id > $2 and s.customer_id <= (select max(customer_id) from page) and ${subscriptionDueCondition(schema)}
     order by s.customer_id, s.id`,
    [asOf, afterCustomerId, customerLimit],
  );
  return result.rows.map((row) => ({
    id: row.id,
    customerId: row.customer_id,
    state: row.state,
    revision: row.revision === null ? null : BigInt(row.revision),
  }));
}

/** Which of `ids` the invoices read model holds. */
export async function existingInvoiceIds(sql: SqlExecutor, ids: readonly string[], schema = LIVE_SCHEMA): Promise<Set<string>> {
  const result = await sql.query<{ id: string }>(`select id from ${schema}.invoices where id = any($1::text[])`, [ids]);
  return new Set(result.rows.map((row) => row.id));
}

/** What a billing run needs of its customers: the profile and the customer-credit balances by currency. */
export interface BillingCustomer {
  profile: CustomerProfile;
  credit: Record<string, string>;
}

export async function findBillingCustomers(sql: SqlExecutor, ids: readonly string[], schema = LIVE_SCHEMA): Promise<Map<string, BillingCustomer>> {
  const result = await sql.query<{ id: string; profile: CustomerProfile; credit: Record<string, string> | null }>(
    `select c.id, c.profile,
            (select jsonb_object_agg(b.currency, b.balance::text) from ${schema}.customer_credit_balances b where b.customer_id = c.id) as credit
     from ${schema}.customers c where c.id = any($1::text[])`,
    [ids],
  );
  return new Map(result.rows.map((row) => [row.id, { profile: row.profile, credit: row.credit ?? {} }]));
}

export interface BillingClaim {
  invoiceId: string;
  subscriptionId: string;
  customerId: string;
  currency: string;
  asOf: string;
  lines: InvoiceLineDraft[];
}

/** Lines a run claimed on subscriptions whose invoice is not issued yet (a run that crashed). */
export async function unfinishedClaims(sql: SqlExecutor, schema = LIVE_SCHEMA): Promise<BillingClaim[]> {
  const result = await sql.query<{
    invoice_id: string;
    subscription_id: string;
    customer_id: string;
    currency: string;
    as_of: string;
    lines: InvoiceLineDraft[];
  }>(
    `select c.invoice_id, c.subscription_id, c.customer_id, c.currency, c.as_of, c.lines
     from ${schema}.billing_claims c left join ${schema}.invoices i on i.id = c.invoice_id
     where i.id is null or i.status = 'draft'
     order by c.invoice_id, c.subscription_id`,
  );
  return result.rows.map((row) => ({
    invoiceId: row.invoice_id,
    subscriptionId: row.subscription_id,
    customerId: row.customer_id,
    currency: row.currency,
    asOf: row.as_of,
    lines: row.lines,
  }));
}
