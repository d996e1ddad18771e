import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { closeRuntime, createRuntime, loadConfig, Runtime } from '@accrual/platform';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { Figures, Goal } from './results';

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

const customerId = (index: number) => `lag_cus_${index}`;

/**
 * One client's endless cycle of mixed commands for one customer: usage, a draft invoice, usage,
 * its issue, a partial payment, a credit note, usage: every read model gets writes (usage,
 * invoices, receivables, ledger, payments, credit notes, balances).
 */
function* cycle(client: number): Generator<{ path: string; body: unknown }> {
  const customer = customerId(client);
  for (let round = 0; ; round += 1) {
    const invoiceId = `lag_inv_${client}_${round}`;
    const now = new Date().toISOString();
    const usage = (n: number) => ({
      path: '/v1/usage',
      body: { id: `lag_u_${client}_${round}_${n}`, customerId: customer, meterCode: METER_CODE, quantity: '3', timestamp: now },
    });
    yield usage(0);
    yield { path: '/v1/invoices', body: { id: invoiceId, customerId: customer, lines: [{ description: 'Consulting', unitAmount: '100.00' }] } };
    yield usage(1);
    yield { path: `/v1/invoices/${invoiceId}/issue`, body: { issuedAt: now } };
    yield { path: '/v1/payments', body: { customerId: customer, invoiceId, amount: '40.00', currency: 'USD', receivedAt: now, method: 'bank_transfer' } };
    yield { path: '/v1/credit-notes', body: { invoiceId, amount: '10.00', reason: 'goodwill', issuedAt: now } };
    yield usage(2);
  }
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Projection lag under steady load, on the real API with its in-process projector: clients send
 * mixed commands at `commandsPerSecond` for `seconds`; for each, the lag is the time from its
 * HTTP response to the projector's checkpoint reaching the response's X-Log-Position.
 */
export async function benchProjectionLag(databaseUrl: string, options: ProjectionLagBenchOptions): Promise<Figures> {
  const api = await startApi(databaseUrl);
  const projector = api.runtime.projector;
  if (!projector) throw new Error('projection-lag bench: the API runs no projector');
  try {
    await command(api, '/v1/meters', { code: METER_CODE, name: 'API calls', aggregation: 'sum' });
    for (let index = 0; index < Math.max(options.customers, CLIENTS); index += 1) {
      await command(api, '/v1/customers', { id: customerId(index), name: `Lag ${index}`, email: `lag${index}@example.com`, currency: 'USD', country: 'US' });
    }
    // Commands read the customers from the read models: they must be there before the load starts.
    if (!(await projector.waitFor(await api.runtime.eventStore.headPosition(), WAIT_TIMEOUT_MS))) throw new Error(`projection-lag bench: set-up not projected (checkpoint ${projector.checkpoint})`);
    const lags: number[] = [];
    const waits: Promise<void>[] = [];
    const intervalMs = (1000 * CLIENTS) / options.commandsPerSecond;
    const started = performance.now();
    const endAt = started + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_unused, client) => {
        const commands = cycle(client);
        let next = started + (client * intervalMs) / CLIENTS;
        while (next < endAt) {
          const delay = next - performance.now();
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
          next += intervalMs;
          const { path, body } = commands.next().value as { path: string; body: unknown };
          const position = await command(api, path, body);
          const answered = performance.now();
          waits.push(
            projector.waitFor(position, WAIT_TIMEOUT_MS).then((applied) => {
              if (!applied) throw new Error(`projection-lag bench: position ${position} not applied within ${WAIT_TIMEOUT_MS} ms`);
              lags.push(performance.now() - answered);
            }),
          );
        }
      }),
    );
    await Promise.all(waits);
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
