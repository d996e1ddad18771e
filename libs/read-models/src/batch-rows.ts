import Big from 'big.js';
import { SqlExecutor } from '@accrual/database';

/** One column of a multi-row write: its name and the SQL type its text values are cast to. */
export interface RowColumn {
  name: string;
  type: string;
}

/** Rows for one table, written by `writeRows`: values as text, one array per column. */
export interface RowsWrite {
  table: string;
  columns: readonly RowColumn[];
  rows: ReadonlyArray<ReadonlyArray<string | null>>;
  /** The `on conflict …` clause. */
  onConflict: string;
}

/**
 * Multi-row inserts for projections that write a whole batch at once, several tables in one
 * statement (one round trip): per table `insert into <table> (<columns>) select … from
 * unnest(<one text[] per column>) <onConflict>`, all but the last as data-modifying CTEs.
 * Values travel as text and are cast in SQL, as a parameter of the column's type would be, so a
 * row stores exactly what a one-row insert of the same values stores (Postgres and PGlite alike).
 * Only for writes to different tables: the parts of one statement neither see each other's rows
 * nor may change a row twice. A table with no rows is left out; nothing at all: no statement.
 */
export async function writeRows(tx: SqlExecutor, writes: readonly RowsWrite[]): Promise<void> {
  const params: unknown[] = [];
  const inserts = writes
    .filter((write) => write.rows.length > 0)
    .map((write) => {
      const names = write.columns.map((column) => column.name).join(', ');
      const arrays = write.columns.map((_column, index) => `$${params.length + index + 1}::text[]`).join(', ');
      const casts = write.columns.map((column) => `v.${column.name}::${column.type}`).join(', ');
      params.push(...write.columns.map((_column, index) => write.rows.map((row) => row[index])));
      return `insert into ${write.table} (${names}) select ${casts} from unnest(${arrays}) as v(${names}) ${write.onConflict}`;
    });
  if (inserts.length === 0) return;
  const last = inserts.pop() as string;
  const ctes = inserts.map((insert, index) => `write_${index} as (${insert})`);
  await tx.query(ctes.length === 0 ? last : `with ${ctes.join(', ')} ${last}`, params);
}

/** `writeRows` of one table. */
export function insertRows(
  tx: SqlExecutor,
  table: string,
  columns: readonly RowColumn[],
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
  onConflict: string,
): Promise<void> {
  return writeRows(tx, [{ table, columns, rows, onConflict }]);
}

/** Column shorthand: `columns('id text', 'total numeric')`. */
export function columns(...specs: readonly string[]): RowColumn[] {
  return specs.map((spec) => {
    const [name, ...type] = spec.split(' ');
    return { name, type: type.join(' ') };
  });
}

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * `a + b` as Postgres' numeric computes it, text in and out: the exact sum at the larger of the
 * two scales (`10.00 + 5.5` is `15.50`), so the batch stores what `credited = credited + $2` stored.
 */
export function addNumeric(a: string, b: string): string {
  if (!PLAIN_DECIMAL.test(a) || !PLAIN_DECIMAL.test(b)) throw new Error(`addNumeric: not a plain decimal: ${a}, ${b}`);
  const scale = (text: string) => (text.includes('.') ? text.length - text.indexOf('.') - 1 : 0);
  const sum = new Big(a).plus(b).toFixed(Math.max(scale(a), scale(b)));
  // Postgres has no negative zero.
  return /^-0(\.0+)?$/.test(sum) ? sum.slice(1) : sum;
}
