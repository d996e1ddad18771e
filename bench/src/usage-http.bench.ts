import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { closeRuntime, createRuntime, loadConfig, Runtime } from '@accrual/platform';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { Figures, Goal } from './results';

export const USAGE_HTTP_GOALS: Goal[] = [
  { figure: 'usage_http_events_per_s', kind: 'min', target: 25_000, note: 'POST /v1/usage/batch, projector off' },
  { figure: 'usage_http_to_copy_ratio', kind: 'min', target: 0.4, note: 'usage over HTTP vs raw COPY' },
];

export interface UsageHttpBenchOptions {
  /** Events sent in the timed phase (unique usage ids). */
  events: number;
  /** Concurrent HTTP clients, each with its own keep-alive connection. */
  clients: number;
  /** Events per `POST /v1/usage/batch` (the contract's limit is 1,000). */
  batchSize: number;
  /** Customers the events are spread over, created first. */
  customers: number;
}

/** Keys the bench's API knows: an admin for the set-up, an ingest key for the usage. */
const ADMIN_KEY = `bench-admin-${randomBytes(8).toString('hex')}`;
const INGEST_KEY = `bench-ingest-${randomBytes(8).toString('hex')}`;
const METER_CODE = 'api_calls';
/** Concurrent requests while creating customers (set-up, not timed). */
const SETUP_CONCURRENCY = 8;

export interface BenchApi {
  runtime: Runtime;
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** The real API on `databaseUrl`, listening on 127.0.0.1, with the projector on or off. */
export async function startBenchApi(databaseUrl: string, withProjector: boolean): Promise<BenchApi> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ACCRUAL_API_KEYS: `bench-admin:admin:${ADMIN_KEY},bench-ingest:ingest:${INGEST_KEY}`,
    ACCRUAL_SCHEDULER: 'off',
    PORT: '0',
  });
  const runtime = await createRuntime(config, { withProjector, applicationName: 'accrual-bench-api' });
  await runtime.projector?.start();
  const app = await createApiApp(runtime, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    runtime,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await closeRuntime(runtime);
    },
  };
}

export async function post(baseUrl: string, path: string, key: string, body: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: await response.text() };
}

async function expectStatus(baseUrl: string, path: string, key: string, body: unknown, status: number): Promise<string> {
  const response = await post(baseUrl, path, key, JSON.stringify(body));
  if (response.status !== status) throw new Error(`POST ${path}: ${response.status} ${response.body}`);
  return response.body;
}

/** The meter and the customers, through the API (not timed). */
async function setUp(baseUrl: string, customers: number): Promise<void> {
  await expectStatus(baseUrl, '/v1/meters', ADMIN_KEY, { code: METER_CODE, name: 'API calls', aggregation: 'sum' }, 201);
  for (let first = 0; first < customers; first += SETUP_CONCURRENCY) {
    const ids = Array.from({ length: Math.min(SETUP_CONCURRENCY, customers - first) }, (_unused, index) => first + index);
    await Promise.all(
      ids.map((index) =>
        expectStatus(baseUrl, '/v1/customers', ADMIN_KEY, { id: customerId(index), name: `Customer ${index}`, email: `c${index}@example.com`, currency: 'USD', country: 'US' }, 201),
      ),
    );
  }
}

function customerId(index: number): string {
  return `cus_${index.toString().padStart(6, '0')}`;
}

/**
 * One batch's body, as a string: built by hand because the client shares the machine (and in
 * this process, the event loop) with the server, and its cost should stay small. Event `i` goes
 * to a customer picked by a multiplicative hash, so a batch touches most customers, out of order.
 */
function batchBody(run: string, first: number, count: number, customers: number, timestamp: string): string {
  const events: string[] = [];
  for (let index = first; index < first + count; index += 1) {
    const customer = (Math.imul(index, 2_654_435_761) >>> 0) % customers;
    events.push(
      `{"id":"u-${run}-${index}","customerId":"${customerId(customer)}","meterCode":"${METER_CODE}","quantity":"${(index % 7) + 1}","timestamp":"${timestamp}","properties":{"region":"eu-west-1","endpoint":"/v1/things"}}`,
    );
  }
  return `{"events":[${events.join(',')}]}`;
}

interface BatchAnswer {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}

/** `clients` loops, each sending its share of the batches one after another. */
async function sendAll(baseUrl: string, options: UsageHttpBenchOptions, run: string, timestamp: string): Promise<number> {
  const batches = Math.ceil(options.events / options.batchSize);
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      for (let batch = next++; batch < batches; batch = next++) {
        const first = batch * options.batchSize;
        const count = Math.min(options.batchSize, options.events - first);
        const response = await post(baseUrl, '/v1/usage/batch', INGEST_KEY, batchBody(run, first, count, options.customers, timestamp));
        if (response.status !== 202) throw new Error(`usage batch ${batch}: ${response.status} ${response.body.slice(0, 500)}`);
        const answer = JSON.parse(response.body) as BatchAnswer;
        if (answer.rejected.length > 0 || answer.accepted !== count) throw new Error(`usage batch ${batch}: ${response.body.slice(0, 500)}`);
        accepted += answer.accepted;
      }
    }),
  );
  return accepted;
}

/**
 * Usage ingest through the real API on a fresh database, with the projector off: the figure is
 * what the API and the log take in, not how fast read models follow (the projector would compete
 * for the same two cores). A short warm-up (not timed) lets V8 optimise and fills the handler's
 * caches of known customers and meters, as in a long-running API.
 */
export async function benchUsageHttp(databaseUrl: string, options: UsageHttpBenchOptions, copyRowsPerSecond: number | undefined): Promise<Figures> {
  const api = await startBenchApi(databaseUrl, false);
  try {
    await setUp(api.baseUrl, options.customers);
    const timestamp = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const warmUp = Math.min(options.events / 10, 5 * options.batchSize);
    await sendAll(api.baseUrl, { ...options, events: warmUp }, `warm-${randomBytes(4).toString('hex')}`, timestamp);
    const started = process.hrtime.bigint();
    const accepted = await sendAll(api.baseUrl, options, randomBytes(4).toString('hex'), timestamp);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`[bench] usage: ${accepted} events accepted in ${seconds.toFixed(1)} s\n`);
    const perSecond = accepted / seconds;
    const figures: Figures = { usage_http_events_per_s: Math.round(perSecond) };
    if (copyRowsPerSecond) figures.usage_http_to_copy_ratio = Number((perSecond / copyRowsPerSecond).toFixed(3));
    return figures;
  } finally {
    await api.close();
  }
}
