import { UsageRecordedData } from '@accrual/billing';

/** A usage event as `recordUsageMany` takes it: the event's data and its log position. */
export interface RecordedUsage {
  usage: UsageRecordedData;
  /** The log position, a decimal string. */
  position: string;
}

/**
 * A run of usage events as Postgres array literals, one per `usage_events` column, for `unnest`.
 * Customer, subscription and meter ids and properties repeat across a run (a batch is usually one
 * customer's), so each column of them sends its distinct values once (`*Values`, properties as
 * JSON) and, per row, the value's 1-based index there; 0 stands for null. Measured against one
 * JSON document of the run's rows: 18-20 instead of 26-28 ms of Postgres CPU per 5,000 rows, and
 * about half the bytes to send.
 */
export interface UsageColumns {
  usageIds: string;
  customers: string;
  customerValues: string;
  subscriptions: string;
  subscriptionValues: string;
  meters: string;
  meterValues: string;
  quantities: string;
  timestamps: string;
  properties: string;
  propertyValues: string;
  positions: string;
}

export function usageColumns(usages: readonly RecordedUsage[]): UsageColumns {
  const customers = new Dictionary();
  const subscriptions = new Dictionary();
  const meters = new Dictionary();
  const properties = new Dictionary();
  const usageIds: Array<string | null> = [];
  const quantities: Array<string | null> = [];
  const timestamps: Array<string | null> = [];
  const positions: string[] = [];
  for (const { usage, position } of usages) {
    usageIds.push(textOf(usage.id));
    customers.add(textOf(usage.customerId));
    subscriptions.add(textOf(usage.subscriptionId));
    meters.add(textOf(usage.meterCode));
    quantities.push(textOf(usage.quantity));
    timestamps.push(textOf(usage.timestamp));
    properties.add(usage.properties === undefined ? null : JSON.stringify(usage.properties));
    positions.push(position);
  }
  return {
    usageIds: arrayLiteral(usageIds),
    customers: customers.indexLiteral(),
    customerValues: arrayLiteral(customers.values),
    subscriptions: subscriptions.indexLiteral(),
    subscriptionValues: arrayLiteral(subscriptions.values),
    meters: meters.indexLiteral(),
    meterValues: arrayLiteral(meters.values),
    quantities: arrayLiteral(quantities),
    timestamps: arrayLiteral(timestamps),
    properties: properties.indexLiteral(),
    propertyValues: arrayLiteral(properties.values),
    // Decimal strings of bigints: nothing to quote.
    positions: `{${positions.join(',')}}`,
  };
}

/**
 * A Postgres array literal of texts: every element quoted (so `NULL`, blanks, commas and braces
 * stay text), backslashes and double quotes escaped; null is the bare NULL.
 */
export function arrayLiteral(values: ReadonlyArray<string | null>): string {
  let literal = '{';
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (index > 0) literal += ',';
    if (value === null) literal += 'NULL';
    else literal += NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
  }
  return `${literal}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * A field as text the way the driver sends a parameter (what `apply` does for one event): strings
 * as they are, null and undefined as null, objects as JSON, anything else through String.
 */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One column's distinct values in order of first use, and per row the 1-based index of its value (0: null). */
class Dictionary {
  readonly values: string[] = [];
  private readonly rows: number[] = [];
  private readonly indexes = new Map<string, number>();
  private lastValue: string | null = null;
  private lastIndex = 0;

  add(value: string | null): void {
    this.rows.push(this.indexOf(value));
  }

  /** The rows' indexes as an integer array literal. */
  indexLiteral(): string {
    return `{${this.rows.join(',')}}`;
  }

  private indexOf(value: string | null): number {
    if (value === null) return 0;
    // Runs are mostly one customer's: the last value answers most lookups.
    if (value === this.lastValue) return this.lastIndex;
    let index = this.indexes.get(value);
    if (index === undefined) {
      this.values.push(value);
      index = this.values.length;
      this.indexes.set(value, index);
    }
    this.lastValue = value;
    this.lastIndex = index;
    return index;
  }
}
