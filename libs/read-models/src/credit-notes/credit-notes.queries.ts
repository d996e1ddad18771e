import { CreditNoteView } from '@accrual/billing';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';

export async function findCreditNote(sql: SqlExecutor, id: string, schema = LIVE_SCHEMA): Promise<CreditNoteView | null> {
  const result = await sql.query<{ view: CreditNoteView }>(`select view from ${schema}.credit_notes where id = $1`, [id]);
  return result.rows[0]?.view ?? null;
}

export interface CreditNoteFilter {
  invoiceId?: string;
  customerId?: string;
  limit: number;
  cursor?: { position: string; id: string };
}

/** Newest first; the cursor is the last row's (created position, id). */
export async function listCreditNotes(
  sql: SqlExecutor,
  filter: CreditNoteFilter,
  schema = LIVE_SCHEMA,
): Promise<{ rows: CreditNoteView[]; last: { position: string; id: string } | null }> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [['invoice_id', filter.invoiceId], ['customer_id', filter.customerId]] as const) {
    if (!value) continue;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  }
  if (filter.cursor) {
    params.push(filter.cursor.position, filter.cursor.id);
    conditions.push(`(created_position, id) < ($${params.length - 1}::numeric, $${params.length})`);
  }
  params.push(filter.limit + 1);
  const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
  const result = await sql.query<{ view: CreditNoteView; created_position: string; id: string }>(
    `select view, created_position, id from ${schema}.credit_notes ${where}
     order by created_position desc, id desc limit $${params.length}`,
    params,
  );
  const page = result.rows.slice(0, filter.limit);
  const tail = page[page.length - 1];
  return { rows: page.map((row) => row.view), last: result.rows.length > filter.limit && tail ? { position: tail.created_position, id: tail.id } : null };
}
