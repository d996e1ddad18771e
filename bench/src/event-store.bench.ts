import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { PgSqlClient } from '@accrual/database';
import { EVENTS_TABLE, NewEvent, PostgresEventStore, StreamBatch } from '@accrual/event-store';
import { Figures, Goal } from './results';

export const EVENT_STORE_GOALS: Goal[] = [
  { figure: 'append_to_copy_ratio', kind: 'min', target: 0.5, note: 'appends through the port vs raw COPY' },
];

export interface EventStoreBenchOptions {
  events: number;
  writers: number;
  batchSize: number;
  /** Events for the `appendNewMany` figure: calls of 1,000 events spread over 1,000 streams. */
  appendNewManyEvents: number;
}

const MANY_EVENTS_PER_CALL = 1_000;
const MANY_STREAMS = 1_000;

/** An event shaped like the ledger's: a usage fact with its metadata. */
function sampleEvent(index: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'UsageRecorded',
    data: {
      id: `usage-${index}`,
      customerId: `cus_${index % 1000}`,
      subscriptionId: null,
      meterCode: 'api_calls',
      quantity: '1',
      timestamp: '2026-01-15T10:00:00Z',
      properties: { region: 'eu-west-1', endpoint: '/v1/things' },
    },
    metadata: {
      actor: 'bench',
      role: 'ingest',
      correlationId: randomUUID(),
      requestId: randomUUID(),
      recordedAt: '2026-01-15T10:00:01.000Z',
      schemaVersion: 1,
    },
  };
}

/** The physical limit: COPY of event-shaped rows into a scratch table shaped like the log's. */
async function measureCopy(sql: PgSqlClient, rows: number): Promise<number> {
  await sql.exec(`drop table if exists bench_copy_scratch; create table bench_copy_scratch (like ${EVENTS_TABLE} including all)`);
  const chunk = 50_000;
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < rows; offset += chunk) {
    const count = Math.min(chunk, rows - offset);
    await sql.withConnection(async (client) => {
      const sink = client.query(
        copyFrom(`copy bench_copy_scratch (global_position, transaction_id, stream_id, stream_revision, event_id, type, data, metadata, hash) from stdin`),
      );
      await pipeline(Readable.from(copyLines(offset, count)), sink);
    });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await sql.exec('drop table bench_copy_scratch');
  return rows / seconds;
}

/** COPY text rows: streams of 1,000 events each, positions and xids ascending as the store writes them. */
function* copyLines(offset: number, count: number): Generator<string> {
  const escape = (value: unknown) => JSON.stringify(value).replace(/\\/g, '\\\\');
  let lines: string[] = [];
  for (let index = offset; index < offset + count; index += 1) {
    const event = sampleEvent(index);
    const stream = `usage-bench-${Math.floor(index / 1000)}`;
    // The log's rows carry a 32-byte hash (tamper evidence); COPY writes one too, as bytea hex.
    const hash = `\\\\x${randomBytes(32).toString('hex')}`;
    const columns = [index + 1, 1000 + Math.floor(index / 100), stream, index % 1000, event.id, event.type, escape(event.data), escape(event.metadata), hash];
    lines.push(columns.join('\t'));
    if (lines.length === 1000) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

/** Appends through the port: batches of `batchSize` by `writers` concurrent writers, each on its own streams. */
async function measureAppends(sql: PgSqlClient, options: EventStoreBenchOptions): Promise<number> {
  const store = await PostgresEventStore.open(sql);
  const perWriter = Math.ceil(options.events / options.writers / options.batchSize);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: options.writers }, async (_unused, writer) => {
      let revision: bigint | null = null;
      for (let batch = 0; batch < perWriter; batch += 1) {
        const events = Array.from({ length: options.batchSize }, (_event, index) => sampleEvent(batch * options.batchSize + index));
        const result = await store.append(`bench-writer-${writer}`, events, { expectedRevision: revision ?? 'no_stream' });
        revision = result.nextExpectedRevision;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (perWriter * options.writers * options.batchSize) / seconds;
}

/**
 * `appendNewMany` as usage ingestion uses it: each call 1,000 events over 1,000 customer streams
 * (a call touches about 630 of them), `writers` calls in flight over the same streams.
 */
async function measureAppendNewMany(sql: PgSqlClient, options: EventStoreBenchOptions): Promise<number> {
  const store = await PostgresEventStore.open(sql);
  const calls = Math.ceil(options.appendNewManyEvents / MANY_EVENTS_PER_CALL);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: options.writers }, async () => {
      for (let call = next++; call < calls; call = next++) {
        const byStream = new Map<string, NewEvent[]>();
        for (let index = call * MANY_EVENTS_PER_CALL; index < (call + 1) * MANY_EVENTS_PER_CALL; index++) {
          const streamId = `usage-many-${(index * 7919) % MANY_STREAMS}`;
          byStream.set(streamId, [...(byStream.get(streamId) ?? []), sampleEvent(index)]);
        }
        const batches: StreamBatch[] = [...byStream].map(([streamId, events]) => ({ streamId, events }));
        await store.appendNewMany(batches);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (calls * MANY_EVENTS_PER_CALL) / seconds;
}

export async function benchEventStore(sql: PgSqlClient, options: EventStoreBenchOptions): Promise<Figures> {
  await PostgresEventStore.open(sql);
  const copy = await measureCopy(sql, options.events);
  const append = await measureAppends(sql, options);
  const appendNewMany = await measureAppendNewMany(sql, options);
  return {
    copy_rows_per_s: Math.round(copy),
    append_events_per_s: Math.round(append),
    append_to_copy_ratio: Number((append / copy).toFixed(3)),
    append_new_many_events_per_s: Math.round(appendNewMany),
  };
}
