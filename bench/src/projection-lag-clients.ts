import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { join } from 'node:path';

/**
 * The projection-lag bench's clients, on a worker thread of their own: real clients are other
 * processes; in the API's thread their work took turns with the server's and the projector's on
 * one event loop, and the lag measured was the bench's own queue. They still share the cores.
 */
export interface LagClientsJob {
  baseUrl: string;
  key: string;
  meterCode: string;
  clients: number;
  commandsPerSecond: number;
  seconds: number;
}

/** One answered command: its X-Log-Position and when its response arrived (epoch ms, fractional). */
export interface AnsweredCommand {
  position: string;
  answeredAt: number;
}

export function lagCustomerId(index: number): string {
  return `lag_cus_${index}`;
}

/** Runs the clients on a worker thread; resolves with every answered command. */
export function sendLagCommandsOnWorker(job: LagClientsJob): Promise<AnsweredCommand[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'projection-lag-clients.js'), { workerData: job });
    let answered: AnsweredCommand[] | undefined;
    worker.once('message', (message: AnsweredCommand[]) => (answered = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (answered !== undefined ? resolve(answered) : reject(new Error(`lag clients exited with ${code}`))));
  });
}

/** Wall-clock epoch ms with sub-millisecond precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One client's endless cycle of mixed commands for one customer: usage, a draft invoice, usage,
 * its issue, a partial payment, a credit note, usage: every read model gets writes (usage,
 * invoices, receivables, ledger, payments, credit notes, balances).
 */
function* cycle(job: LagClientsJob, client: number): Generator<{ path: string; body: unknown }> {
  const customer = lagCustomerId(client);
  for (let round = 0; ; round += 1) {
    const invoiceId = `lag_inv_${client}_${round}`;
    const now = new Date().toISOString();
    const usage = (n: number) => ({
      path: '/v1/usage',
      body: { id: `lag_u_${client}_${round}_${n}`, customerId: customer, meterCode: job.meterCode, quantity: '3', timestamp: now },
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

async function command(job: LagClientsJob, path: string, body: unknown): Promise<AnsweredCommand> {
  const response = await fetch(`${job.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${job.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const answeredAt = epochMs();
  const position = response.headers.get('x-log-position');
  if (response.status >= 300 || !position) throw new Error(`projection-lag bench: POST ${path}: ${response.status} ${text}`);
  return { position, answeredAt };
}

/** `clients` loops, each sending one command at a time, paced to its share of the rate. */
async function sendAll(job: LagClientsJob): Promise<AnsweredCommand[]> {
  const answered: AnsweredCommand[] = [];
  const intervalMs = (1000 * job.clients) / job.commandsPerSecond;
  const started = performance.now();
  const endAt = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.clients }, async (_unused, client) => {
      const commands = cycle(job, client);
      let next = started + (client * intervalMs) / job.clients;
      while (next < endAt) {
        const delay = next - performance.now();
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        next += intervalMs;
        const { path, body } = commands.next().value as { path: string; body: unknown };
        answered.push(await command(job, path, body));
      }
    }),
  );
  return answered;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  sendAll(workerData as LagClientsJob).then(
    (answered) => port.postMessage(answered),
    (error: unknown) => {
      throw error;
    },
  );
}
