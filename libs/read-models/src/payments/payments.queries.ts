import { PaymentView } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';

export async function findPayment(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<PaymentView | null> {
  const result = await sql.query<{ view: PaymentView }>(`select view from ${schema}.payments where id = $1`, [id]);
  return result.rows[0]?.view ?? null;
}

export interface PaymentFilter {
  customerId?: string;
  limit: number;
  cursor?: { position: string; id: string };
}

/** Newest first; the cursor is the last row's (created position, id). */
export async function listPayments(
  sql: SqlExecutor,
  filter: PaymentFilter,
  schema = LIVE_SCHEMA,
): Promise<{ rows: PaymentView[]; last: { position: string; id: string } | null }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.customerId) {
    params.push(filter.customerId);
    conditions.push(`customer_id = $${params.length}`);
  }
  if (filter.cursor) {
    params.push(filter.cursor.position, filter.cursor.id);
    conditions.push(`(created_position, id) < ($${params.length - 1}::numeric, $${params.length})`);
  }
  params.push(filter.limit + 1);
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const result = await sql.query<{ view: PaymentView; created_position: string; id: string }>(
    `select view, created_position, id from ${schema}.payments ${where}
     order by created_position desc, id desc limit $${params.length}`,
    params,
  );
  const page = result.rows.slice(0, filter.limit);
  const tail = page[page.length - 1];
  return { rows: page.map((row) => row.view), last: result.rows.length > filter.limit && tail ? { position: tail.created_position, id: tail.id } : null };
}

/**
 * Ids of a customer's open invoices in one currency, oldest due date first (then issue instant,
 * then number): the candidates a payment without an invoice is spread over. The caller reads
 * each invoice's stream for its amounts; the read model only finds them.
 */
export async function openInvoiceIdsOldestDueFirst(
  sql: SqlExecutor,
  customerId: string,
  currency: string,
  limit: number,
  schema = LIVE_SCHEMA,
): Promise<string[]> {
  const result = await sql.query<{ id: string }>(
    `select id from ${schema}.invoices
     where customer_id = $1 and currency = $2 and status = 'open' and amount_due > 0
     order by due_date asc, issued_at asc, number collate "C" asc, id collate "C" asc
     limit $3`,
    [customerId, currency, limit],
  );
  return result.rows.map((row) => row.id);
}
