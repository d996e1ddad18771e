import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';
import { createLogger } from './request-log';

interface LogLine {
  level: number;
  msg: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  actor?: string | null;
  correlationId?: string;
  requestId?: string;
}

/** Captures the request log: pino writes one JSON line per `write`. */
function captureLog() {
  const lines: string[] = [];
  return {
    destination: { write: (line: string) => void lines.push(line) },
    lines,
    parsed: () => lines.map((line) => JSON.parse(line) as LogLine),
  };
}

describe('createLogger', () => {
  it('writes nothing at level silent and JSON lines at info', () => {
    const silent = captureLog();
    createLogger('silent', silent.destination).info({ a: 1 }, 'hidden');
    expect(silent.lines).toEqual([]);
    const info = captureLog();
    createLogger('info', info.destination).info({ a: 1 }, 'shown');
    expect(info.parsed()).toEqual([expect.objectContaining({ msg: 'shown', a: 1, level: 30 })]);
  });
});

/** Request log, correlation ids and Prometheus metrics (issue 6, operations). */
describeWithPostgres('operations: request log, correlation ids, metrics', () => {
  let api: TestApi;
  const log = captureLog();
  const customer = (id: string) => ({ id, name: 'Initech', email: 'ap@initech.test', currency: 'EUR', country: 'DE' });
  const meter = (code: string) => ({ code, name: code, aggregation: 'sum' });

  beforeAll(async () => {
    // A relay is configured (never started here): its lag is read from its checkpoint row.
    api = await startTestApiOn('postgres', 'accrual_operations', { logLevel: 'info', kafkaBrokers: ['127.0.0.1:9'] }, { logDestination: log.destination });
  });

  afterAll(async () => {
    await api?.close();
  });

  /** The request log line of the answer carrying this correlation id (written once the answer is sent). */
  async function lineOf(correlationId: string): Promise<LogLine> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const line = log.parsed().find((entry) => entry.correlationId === correlationId && entry.msg.startsWith('request'));
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no log line for ${correlationId}`);
  }

  it('logs one line per request with method, route, status, duration, actor and correlation id', async () => {
    const created = await api.request('POST', '/v1/meters', { key: 'operator-key', body: meter('ops-m1'), headers: { 'x-correlation-id': 'ops-corr-1' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-correlation-id')).toBe('ops-corr-1');
    const line = await lineOf('ops-corr-1');
    expect(line).toMatchObject({ method: 'POST', route: '/v1/meters', status: 201, actor: 'operator-actor', requestId: expect.any(String) });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(log.parsed().filter((entry) => entry.correlationId === 'ops-corr-1')).toHaveLength(1);
    const [event] = await api.runtime.eventStore.readStream('meter-ops-m1');
    expect(event.metadata).toMatchObject({ correlationId: 'ops-corr-1', requestId: line.requestId });
  });

  it('logs a route pattern, never the raw path or query', async () => {
    const answer = await api.request('GET', '/v1/invoices/inv-secret-looking?token=abc', { key: 'reader-key', headers: { 'x-correlation-id': 'ops-corr-2' } });
    expect(answer.status).toBe(404);
    expect(await lineOf('ops-corr-2')).toMatchObject({ route: '/v1/invoices/:id', status: 404, actor: 'reader-actor' });
    expect(log.lines.join('\n')).not.toContain('inv-secret-looking');
    expect(log.lines.join('\n')).not.toContain('token=abc');
  });

  it('makes a correlation id when none or a malformed one is given, and echoes it on refusals too', async () => {
    const made = await api.request('GET', '/v1/invoices', { key: 'reader-key' });
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const malformed = await api.request('GET', '/v1/invoices', { key: 'reader-key', headers: { 'x-correlation-id': 'has spaces and <script>' } });
    expect(malformed.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await api.request('GET', '/v1/invoices', { key: 'reader-key', headers: { 'x-correlation-id': 'a'.repeat(129) } });
    expect(tooLong.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const [status, options] of [
      [401, { key: null }],
      [403, { key: 'reader-key' }],
      [400, { rawBody: '{"code": ' }],
    ] as const) {
      const refused = await api.request('POST', '/v1/meters', { ...options, headers: { 'x-correlation-id': `ops-refused-${status}` } });
      expect(refused.status).toBe(status);
      expect(refused.headers.get('x-correlation-id')).toBe(`ops-refused-${status}`);
      expect(await lineOf(`ops-refused-${status}`)).toMatchObject({ status, method: 'POST' });
    }
  });

  it('never logs the Authorization header or any secret', async () => {
    await api.request('POST', '/v1/meters', { key: 'admin-key', body: meter('ops-m2') });
    await api.request('GET', '/v1/invoices', { key: 'wrong-secret-123' });
    await api.request('GET', '/v1/invoices', { key: 'reader-key', headers: { cookie: 'session=cookie-secret' } });
    const text = log.lines.join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of ['admin-key', 'reader-key', 'operator-key', 'wrong-secret-123', 'Bearer', 'authorization', 'cookie-secret']) {
      expect(text).not.toContain(secret);
    }
  });

  it('serves Prometheus metrics: requests by route and status, latency, appends, projection and relay lag', async () => {
    await api.request('POST', '/v1/customers', { key: 'operator-key', body: customer('ops-c1') });
    await api.request('POST', '/v1/customers', { key: 'reader-key', body: customer('ops-c2') });
    await api.runtime.sql.query('create schema if not exists relay');
    await api.runtime.sql.query('create table if not exists relay.checkpoints (name text primary key, position numeric(20,0) not null)');
    await api.runtime.sql.query(`insert into relay.checkpoints (name, position) values ('kafka', 1) on conflict (name) do update set position = 1`);
    const head = await api.runtime.eventStore.headPosition();
    const metrics = await api.request('GET', '/metrics', { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = metrics.text;
    expect(text).toMatch(/accrual_http_requests_total\{method="POST",route="\/v1\/customers",status="201"\} [1-9]/);
    expect(text).toMatch(/accrual_http_requests_total\{method="POST",route="\/v1\/customers",status="403"\} [1-9]/);
    expect(text).toMatch(/accrual_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/meters",status="201"\}/);
    expect(text).toMatch(/accrual_http_request_duration_seconds_count\{method="GET",route="\/v1\/invoices\/:id",status="404"\} [1-9]/);
    expect(Number(/^accrual_events_appended_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^accrual_appends_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^accrual_log_head_position (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(Number(head));
    expect(text).toMatch(/^accrual_projection_lag_events \d+/m);
    expect(text).toMatch(/^accrual_projection_lag_ms \d+/m);
    expect(Number(/^accrual_relay_lag_events (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(Number(head) - 1);
    expect(text).toContain('process_cpu_seconds_total');
  });
});
