import { InvalidInputError } from '@accrual/billing';

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 500;

export function parseLimit(value: unknown): number {
  if (value === undefined) return LIST_LIMIT_DEFAULT;
  const limit = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) {
    throw InvalidInputError.field('limit', `must be a whole number from 1 to ${LIST_LIMIT_MAX}`);
  }
  return limit;
}

/** Cursors are opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(key: { position: string; id: string }): string {
  return Buffer.from(JSON.stringify([key.position, key.id])).toString('base64url');
}

export function decodeCursor(value: unknown): { position: string; id: string } | undefined {
  if (value === undefined) return undefined;
  try {
    const [position, id] = JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof position === 'string' && /^\d{1,30}$/.test(position) && typeof id === 'string') return { position, id };
  } catch {
    // fall through to the refusal below
  }
  throw InvalidInputError.field('cursor', 'is not a cursor this API returned');
}

/** The contract's list answer: `{data, nextCursor}`, the cursor null on the last page. */
export function listPage<Row>(page: { rows: Row[]; last: { position: string; id: string } | null }): { data: Row[]; nextCursor: string | null } {
  return { data: page.rows, nextCursor: page.last ? encodeCursor(page.last) : null };
}

/** An optional id filter from the query string; a repeated parameter arrives as an array and is refused. */
export function optionalIdParam(query: Record<string, unknown>, field: string): string | undefined {
  const value = query[field];
  if (value !== undefined && typeof value !== 'string') throw InvalidInputError.field(field, 'must be one id');
  return value;
}
