import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { join } from 'node:path';

/**
 * The usage bench's HTTP clients, on a worker thread of their own: real clients are other
 * processes, and in the API's thread their work (building 1,000-event bodies, undici, reading
 * answers) took turns with the server's on one event loop. They still share the machine's cores.
 */
export interface UsageClientsJob {
  baseUrl: string;
  key: string;
  meterCode: string;
  /** Usage ids are `u-<run>-<index>`, so each run's ids are new. */
  run: string;
  events: number;
  clients: number;
  batchSize: number;
  customers: number;
  /** One RFC 3339 instant for every event, a minute before the run. */
  timestamp: string;
}

interface BatchAnswer {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}

/** Runs `job` on a worker thread; resolves with the events accepted. */
export function sendUsageOnWorker(job: UsageClientsJob): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'usage-http-clients.js'), { workerData: job });
    let accepted: number | undefined;
    worker.once('message', (count: number) => (accepted = count));
    worker.once('error', reject);
    worker.once('exit', (code) => (accepted !== undefined ? resolve(accepted) : reject(new Error(`usage clients exited with ${code}`))));
  });
}

export function customerId(index: number): string {
  return `cus_${index.toString().padStart(6, '0')}`;
}

/**
 * One batch's body, as a string built by hand, so the client's cost stays small. Event `i` goes
 * to a customer picked by a multiplicative hash, so a batch touches most customers, out of order.
 */
function batchBody(job: UsageClientsJob, first: number, count: number): string {
  const events: string[] = [];
  for (let index = first; index < first + count; index += 1) {
    const customer = (Math.imul(index, 2_654_435_761) >>> 0) % job.customers;
    events.push(
      `{"id":"u-${job.run}-${index}","customerId":"${customerId(customer)}","meterCode":"${job.meterCode}","quantity":"${(index % 7) + 1}","timestamp":"${job.timestamp}","properties":{"region":"eu-west-1","endpoint":"/v1/things"}}`,
    );
  }
  return `{"events":[${events.join(',')}]}`;
}

/** `clients` loops, each sending its share of the batches one after another, over keep-alive. */
async function sendAll(job: UsageClientsJob): Promise<number> {
  const batches = Math.ceil(job.events / job.batchSize);
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: job.clients }, async () => {
      for (let batch = next++; batch < batches; batch = next++) {
        const first = batch * job.batchSize;
        const count = Math.min(job.batchSize, job.events - first);
        const response = await fetch(`${job.baseUrl}/v1/usage/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${job.key}`, 'content-type': 'application/json' },
          body: batchBody(job, first, count),
        });
        const body = await response.text();
        if (response.status !== 202) throw new Error(`usage batch ${batch}: ${response.status} ${body.slice(0, 500)}`);
        const answer = JSON.parse(body) as BatchAnswer;
        if (answer.rejected.length > 0 || answer.accepted !== count) throw new Error(`usage batch ${batch}: ${body.slice(0, 500)}`);
        accepted += answer.accepted;
      }
    }),
  );
  return accepted;
}

// A failure is left unhandled: it ends the worker, and its `error` event rejects on the main thread.
if (!isMainThread && parentPort) {
  const port = parentPort;
  void sendAll(workerData as UsageClientsJob).then((accepted) => port.postMessage(accepted));
}
