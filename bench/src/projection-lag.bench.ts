import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { closeRuntime, createRuntime, loadConfig, Runtime } from '@accrual/platform';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { Figures, Goal } from './results';
import { AnsweredCommand, epochMs, lagCustomerId, sendLagCommandsOnWorker } from './projection-lag-clients';

export const PROJECTION_LAG_GOALS: Goal[] = [
  { figure: 'projection_lag_p99_ms', kind: 'max', target: 100, note: 'command response → read models applied it, steady mixed load' },
];

export interface ProjectionLagBenchOptions {
  /** Commands per second the clients aim at, all kinds together. */
  commandsPerSecond: number;
  seconds: number;
  customers: number;
}

const ADMIN_KEY = `bench-lag-${randomBytes(8).toString('hex')}`;
const METER_CODE = 'api_calls';
/** Concurrent clients; each sends one command at a time, paced to its share of the rate. */
const CLIENTS = 16;
/** How long a command may wait for the read models before the bench gives up on it. */
const WAIT_TIMEOUT_MS = 30_000;

interface Api {
  runtime: Runtime;
  app: INestApplication;
  baseUrl: string;
}

async function startApi(databaseUrl: string): Promise<Api> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, ACCRUAL_API_KEYS: `bench-lag:admin:${ADMIN_KEY}`, ACCRUAL_SCHEDULER: 'off', ACCRUAL_LOG_LEVEL: 'warn', PORT: '0' });
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual-bench-lag' });
  await runtime.projector?.start();
  const app = await createApiApp(runtime, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { runtime, app, baseUrl: `http://127.0.0.1:${port}` };
}

/** POSTs a command; returns its log position (X-Log-Position) once answered with a success. */
async function command(api: Api, path: string, body: unknown): Promise<bigint> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const position = response.headers.get('x-log-position');
  if (response.status >= 300 || !position) throw new Error(`projection-lag bench: POST ${path}: ${response.status} ${text}`);
  return BigInt(position);
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Projection lag under steady load, on the real API with its in-process projector: clients, on a
 * worker thread of their own (projection-lag-clients.ts), send mixed commands at
 * `commandsPerSecond` for `seconds`; for each, the lag is the time from its HTTP response to the
 * projector's checkpoint reaching the response's X-Log-Position.
 */
export async function benchProjectionLag(databaseUrl: string, options: ProjectionLagBenchOptions): Promise<Figures> {
  const api = await startApi(databaseUrl);
  const projector = api.runtime.projector;
  if (!projector) throw new Error('projection-lag bench: the API runs no projector');
  try {
    await command(api, '/v1/meters', { code: METER_CODE, name: 'API calls', aggregation: 'sum' });
    for (let index = 0; index < Math.max(options.customers, CLIENTS); index += 1) {
      await command(api, '/v1/customers', { id: lagCustomerId(index), name: `Lag ${index}`, email: `lag${index}@example.com`, currency: 'USD', country: 'US' });
    }
    // Commands read the customers from the read models: they must be there before the load starts.
    if (!(await projector.waitFor(await api.runtime.eventStore.headPosition(), WAIT_TIMEOUT_MS))) throw new Error(`projection-lag bench: set-up not projected (checkpoint ${projector.checkpoint})`);
    // Every advance of the checkpoint with its time, recorded in the API's thread as it happens;
    // a command's lag is from its response (in the clients' thread) to the first advance past it.
    const advances: Array<{ checkpoint: bigint; at: number }> = [];
    let clientsDone = false;
    const watcher = (async () => {
      while (!clientsDone) {
        await projector.waitFor(projector.checkpoint + 1n, 250);
        advances.push({ checkpoint: projector.checkpoint, at: epochMs() });
      }
    })();
    const started = performance.now();
    let answered: AnsweredCommand[];
    try {
      answered = await sendLagCommandsOnWorker({
        baseUrl: api.baseUrl,
        key: ADMIN_KEY,
        meterCode: METER_CODE,
        clients: CLIENTS,
        commandsPerSecond: options.commandsPerSecond,
        seconds: options.seconds,
      });
      const last = answered.reduce((max, one) => (BigInt(one.position) > max ? BigInt(one.position) : max), 0n);
      if (!(await projector.waitFor(last, WAIT_TIMEOUT_MS))) throw new Error(`projection-lag bench: position ${last} not applied within ${WAIT_TIMEOUT_MS} ms`);
      advances.push({ checkpoint: projector.checkpoint, at: epochMs() });
    } finally {
      clientsDone = true;
      await watcher;
    }
    const lags = answered.map(({ position, answeredAt }) => {
      const applied = advances.find((advance) => advance.checkpoint >= BigInt(position));
      if (!applied) throw new Error(`projection-lag bench: position ${position} never applied`);
      return Math.max(0, applied.at - answeredAt);
    });
    const elapsed = (performance.now() - started) / 1000;
    process.stderr.write(
      `[bench] projection lag: ${lags.length} commands in ${elapsed.toFixed(1)} s (${Math.round(lags.length / elapsed)}/s); ` +
        `lag p50 ${percentile(lags, 50).toFixed(1)} ms, p99 ${percentile(lags, 99).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms\n`,
    );
    return { projection_lag_p99_ms: Math.round(percentile(lags, 99) * 10) / 10 };
  } finally {
    await api.app.close();
    await closeRuntime(api.runtime);
  }
}
