import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { closeRuntime, createRuntime, loadConfig, Runtime } from '@accrual/platform';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { Figures, Goal } from './results';
import { customerId, sendUsageOnWorker } from './usage-http-clients';

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
    // A request log line per 1,000-event batch costs little, but would flood the bench's output.
    ACCRUAL_LOG_LEVEL: 'warn',
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

/**
 * A run's part of its usage ids, in letters only: a run of 13 to 19 digits passing Luhn reads as a
 * card number and is refused (card-data.guard.ts), and random hex next to the event's index
 * sometimes makes one.
 */
function runId(): string {
  return randomBytes(6)
    .toString('hex')
    .replace(/\d/g, (digit) => 'ghijklmnop'[Number(digit)]);
}

/**
 * CPU time per event of the bench's process (API and clients' threads) and of the Postgres
 * backends of the bench's database: on a machine shared with other work these are steadier than
 * the wall-clock rate. Backends are read from /proc, so only when Postgres runs on this machine;
 * they are listed at the start (the API's pool is warm by then) and read again at the end.
 */
class CpuMeter {
  private constructor(
    private readonly client: Client,
    private readonly node: NodeJS.CpuUsage,
    private readonly apiThread: number | undefined,
    private readonly backends: Map<number, number>,
  ) {}

  static async start(databaseUrl: string): Promise<CpuMeter> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const pids = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    const backends = new Map(pids.rows.map(({ pid }) => [pid, backendCpuMicros(pid) ?? 0]));
    return new CpuMeter(client, process.cpuUsage(), apiThreadCpuMicros(), backends);
  }

  async stop(events: number): Promise<string> {
    const node = process.cpuUsage(this.node);
    const apiThreadNow = apiThreadCpuMicros();
    const apiThread = apiThreadNow === undefined || this.apiThread === undefined ? undefined : apiThreadNow - this.apiThread;
    const pids = await this.client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    await this.client.end();
    let postgres: number | undefined;
    for (const { pid } of pids.rows) {
      const now = backendCpuMicros(pid);
      if (now !== undefined) postgres = (postgres ?? 0) + now - (this.backends.get(pid) ?? 0);
    }
    const perEvent = (micros: number | undefined) => (micros === undefined ? 'n/a' : (micros / Math.max(events, 1)).toFixed(1));
    return `CPU µs/event: node (API and clients) ${perEvent(node.user + node.system)} (API thread ${perEvent(apiThread)}), Postgres backends ${perEvent(postgres)}`;
  }
}

/**
 * With ACCRUAL_BENCH_USAGE_PROFILE=<file.cpuprofile>, a CPU profile of the API's thread over the
 * timed phase only (`--cpu-prof` would mostly show the set-up: creating the customers).
 */
class TimedPhaseProfiler {
  private constructor(private readonly session: Session | undefined, private readonly file: string | undefined) {}

  static async start(file: string | undefined): Promise<TimedPhaseProfiler> {
    if (!file) return new TimedPhaseProfiler(undefined, undefined);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    return new TimedPhaseProfiler(session, file);
  }

  async stop(): Promise<void> {
    if (!this.session || !this.file) return;
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(this.file, JSON.stringify(profile));
    this.session.disconnect();
  }
}

/**
 * The API's thread alone (this process's main thread; the clients run on a worker, GC helpers on
 * threads of their own): user + system CPU in µs, in clock ticks of 10 ms, or undefined when
 * /proc cannot be read.
 */
function apiThreadCpuMicros(): number | undefined {
  return backendCpuMicros(process.pid, `/proc/${process.pid}/task/${process.pid}/stat`);
}

/** A local process's user + system CPU in µs (clock ticks of 10 ms), or undefined when it cannot be read. */
function backendCpuMicros(pid: number, statFile = `/proc/${pid}/stat`): number | undefined {
  try {
    const fields = readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
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
    const job = { ...options, baseUrl: api.baseUrl, key: INGEST_KEY, meterCode: METER_CODE, timestamp };
    const warmUp = Math.min(options.events / 10, 5 * options.batchSize);
    await sendUsageOnWorker({ ...job, events: warmUp, run: `warm${runId()}` });
    const cpu = await CpuMeter.start(databaseUrl);
    const profiler = await TimedPhaseProfiler.start(process.env.ACCRUAL_BENCH_USAGE_PROFILE);
    const started = process.hrtime.bigint();
    const accepted = await sendUsageOnWorker({ ...job, run: runId() });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await profiler.stop();
    process.stderr.write(`[bench] usage: ${accepted} events accepted in ${seconds.toFixed(1)} s; ${await cpu.stop(accepted)}\n`);
    const perSecond = accepted / seconds;
    const figures: Figures = { usage_http_events_per_s: Math.round(perSecond) };
    if (copyRowsPerSecond) figures.usage_http_to_copy_ratio = Number((perSecond / copyRowsPerSecond).toFixed(3));
    return figures;
  } finally {
    await api.close();
  }
}
