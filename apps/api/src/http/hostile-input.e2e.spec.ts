import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi, TestResponse } from '../../../../test/support/api-app';

/** Text an attacker would try: each must come back byte for byte, or be refused with 400. */
const HOSTILE_TEXT = [
  "Robert'); DROP TABLE customers;--",
  "' OR '1'='1' --",
  '<script>alert("x")</script><img src=x onerror=alert(1)>',
  '{{7*7}} ${process.exit(1)} `rm -rf /`',
  'Zürich — 東京 🚀 \u202Eevil\u200B',
  'e\u0301 \uFEFF\u00A0',
  '\\u0000 is only six characters here',
  '../../etc/passwd %00 %s %n',
  '\t\r\n\u0007 control',
];

const HOSTILE_IDS = ["c'; drop table x;--", '<script>', 'a b', 'id\u00e9', 'x'.repeat(65), '../etc', ''];

describeWithPostgres('hostile input', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApiOn('postgres', 'accrual_hostile');
    expect((await api.request('POST', '/v1/meters', { body: { code: 'calls', name: 'calls', aggregation: 'sum' } })).status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  const customer = (id: string, name = 'Initech') => ({ id, name, email: 'ap@initech.test', currency: 'EUR', country: 'DE' });
  const afterWrite = (write: TestResponse) => ({ headers: { 'x-min-position': write.headers.get('x-log-position') as string } });

  /**
   * Every event after `position`, once readers see all that is committed: a reader sees nothing
   * past a transaction still open below it, so the tail of a burst shows up a moment later.
   */
  async function readLogAfter(position: bigint) {
    const head = await api.runtime.eventStore.headPosition();
    for (let attempt = 0; attempt < 500; attempt += 1) {
      const events = await api.runtime.eventStore.readAll({ after: position, maxCount: 10_000 });
      if (events[events.length - 1]?.position === head) return events;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`log position ${head} never became readable`);
  }

  /** One request through `agent`, answered as status, headers and parsed body. */
  function send(agent: Agent, call: { method: string; path: string; key: string | null; body?: unknown; headers?: Record<string, string> }) {
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = { ...(call.headers ?? {}) };
    if (call.key !== null) headers.authorization = `Bearer ${call.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: { detail?: string } | undefined }>((resolve, reject) => {
      const request = httpRequest(`${api.baseUrl}${call.path}`, { method: call.method, headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : undefined });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /** The read models and the log still answer, so nothing was dropped or corrupted. */
  async function stillWhole(): Promise<void> {
    const tables = await api.runtime.sql.query<{ count: string }>(
      `select count(*)::text as count from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`,
    );
    expect(Number(tables.rows[0].count)).toBeGreaterThan(5);
    expect((await api.request('GET', '/v1/invoices', { key: 'reader-key' })).status).toBe(200);
  }

  describe('injection-shaped text round-trips harmlessly', () => {
    it.each(HOSTILE_TEXT.map((text, index) => [index, text]))('customer name #%i', async (index, text) => {
      const created = await api.request('POST', '/v1/customers', { body: customer(`hostile-c${index}`, text as string) });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe(text);
      const read = await api.request('GET', `/v1/customers/hostile-c${index}`, afterWrite(created));
      expect(read.status).toBe(200);
      expect(read.body.name).toBe(text);
    });

    it('invoice descriptions and memos, very long ones included', async () => {
      const created = await api.request('POST', '/v1/customers', { body: customer('hostile-inv-c') });
      expect(created.status).toBe(201);
      const lines = HOSTILE_TEXT.map((description) => ({ description, unitAmount: '1.00' }));
      lines.push({ description: 'long '.repeat(100), unitAmount: '1.00' });
      const tooLong = await api.request('POST', '/v1/invoices', {
        body: { customerId: 'hostile-inv-c', lines: [{ description: 'long '.repeat(20_000), unitAmount: '1.00' }] },
      });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.errors).toEqual([expect.objectContaining({ field: 'lines[0].description' })]);
      const memo = HOSTILE_TEXT.join(' | ');
      const invoice = await api.request('POST', '/v1/invoices', { body: { id: 'hostile-inv', customerId: 'hostile-inv-c', lines, memo } });
      expect(invoice.status).toBe(201);
      const read = await api.request('GET', '/v1/invoices/hostile-inv', afterWrite(invoice));
      expect(read.status).toBe(200);
      expect(read.body.lines.map((line: { description: string }) => line.description)).toEqual(lines.map((line) => line.description));
      expect(read.body.memo ?? memo).toBe(memo);
      await stillWhole();
    });
  });

  describe('ids have a pattern', () => {
    it.each(HOSTILE_IDS)('refuses the body id %p with 400 and appends nothing', async (id) => {
      const before = await api.runtime.eventStore.headPosition();
      const answer = await api.request('POST', '/v1/customers', { body: customer(id) });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'id' })]));
      expect(await api.runtime.eventStore.headPosition()).toBe(before);
    });

    it.each(HOSTILE_IDS.filter(Boolean))('answers a path or query id %p with 404 or 400, never more', async (id) => {
      const encoded = encodeURIComponent(id);
      for (const path of [`/v1/customers/${encoded}`, `/v1/invoices/${encoded}`, `/v1/invoices?customerId=${encoded}`, `/v1/audit/streams/customer-${encoded}`]) {
        const answer = await api.request('GET', path, { key: 'auditor-key' });
        expect([200, 400, 404]).toContain(answer.status);
        if (answer.status === 200) expect(answer.body.data).toEqual([]);
        else expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      await stillWhole();
    });
  });

  describe('text no database can store is refused with 400', () => {
    it.each([
      ['a NUL in a body string', '{"id":"nul-1","name":"a\\u0000b","email":"a@b.test","currency":"EUR","country":"DE"}'],
      ['a NUL in a key', '{"id":"nul-2","na\\u0000me":"x","name":"x","email":"a@b.test","currency":"EUR","country":"DE"}'],
      ['a lone high surrogate', '{"id":"sur-1","name":"a\\ud800b","email":"a@b.test","currency":"EUR","country":"DE"}'],
      ['a lone low surrogate', '{"id":"sur-2","name":"\\udc00","email":"a@b.test","currency":"EUR","country":"DE"}'],
    ])('%s', async (_label, rawBody) => {
      const before = await api.runtime.eventStore.headPosition();
      const answer = await api.request('POST', '/v1/customers', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('invalid-text');
      expect(await api.runtime.eventStore.headPosition()).toBe(before);
    });

    it('keeps a well-formed surrogate pair (an emoji written as escapes)', async () => {
      const answer = await api.request('POST', '/v1/customers', { rawBody: JSON.stringify(customer('sur-ok', 'x')).replace('"x"', '"\\ud83d\\ude80"') });
      expect(answer.status).toBe(201);
      expect(answer.body.name).toBe('🚀');
    });

    it.each(['/v1/customers/a%00b', '/v1/invoices?customerId=%00', '/v1/audit/streams/customer-%00'])('a NUL in the URL %s', async (path) => {
      const answer = await api.request('GET', path, { key: 'admin-key' });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('invalid-text');
    });
  });

  describe('malformed, wrongly typed and oddly shaped bodies', () => {
    it.each([
      ['truncated', '{"name": '],
      ['a trailing comma', '{"name": "x",}'],
      ['garbage after the object', '{"name": "x"} trailing'],
      ['a bare string', '"just a string"'],
      ['a bare number', '42'],
      ['single quotes', "{'name': 'x'}"],
    ])('answers %s with 400 malformed-json', async (_label, rawBody) => {
      const answer = await api.request('POST', '/v1/customers', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body.type).toBe('malformed-json');
    });

    it.each([
      ['an array for an object', []],
      ['a number for a string', { ...customer('typed-1'), name: 42 }],
      ['an object for a string', { ...customer('typed-2'), email: { $ne: null } }],
      ['a string for a boolean', { ...customer('typed-3'), taxExempt: 'true' }],
      ['a float for whole days', { ...customer('typed-4'), paymentTermsDays: 1.5 }],
      ['null for a required field', { ...customer('typed-5'), currency: null }],
    ])('answers %s with 400 invalid-input naming the field', async (_label, body) => {
      const answer = await api.request('POST', '/v1/customers', { body });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('invalid-input');
      expect(answer.body.errors.length).toBeGreaterThan(0);
    });

    it('refuses a __proto__ key without polluting anything', async () => {
      const answer = await api.request('POST', '/v1/customers', { rawBody: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}' });
      expect(answer.status).toBe(400);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });

    it('refuses nesting deeper than any request needs', async () => {
      const rawBody = `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
      const answer = await api.request('POST', '/v1/customers', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('invalid-body');
    });

    it('ignores a body sent as something other than JSON, then finds the fields missing', async () => {
      const answer = await api.request('POST', '/v1/customers', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(answer.status).toBe(400);
      expect(answer.body.type).toBe('invalid-input');
    });

    it('answers a very long header value or id without failing', async () => {
      const long = await api.request('GET', `/v1/customers/${'x'.repeat(4000)}`, { key: 'reader-key' });
      expect([400, 404]).toContain(long.status);
      const idempotency = await api.request('POST', '/v1/meters', { body: { code: 'm-long', name: 'm', aggregation: 'sum' }, headers: { 'idempotency-key': 'k'.repeat(300) } });
      expect(idempotency.status).toBe(400);
      expect(idempotency.body.type).toBe('invalid-idempotency-key');
    });
  });

  it('answers 1,000 concurrent requests of mixed roles, each correctly', async () => {
    const crowdCustomer = await api.request('POST', '/v1/customers', { body: customer('crowd-c') });
    expect(crowdCustomer.status).toBe(201);
    const headBefore = await api.runtime.eventStore.headPosition();
    type Call = { method: string; path: string; key: string | null; body?: unknown; headers?: Record<string, string>; want: number };
    const calls: Call[] = Array.from({ length: 1000 }, (_, index): Call => {
      switch (index % 10) {
        case 0: return { method: 'POST', path: '/v1/customers', key: null, body: customer(`crowd-x${index}`), want: 401 };
        case 1: return { method: 'POST', path: '/v1/customers', key: 'reader-key', body: customer(`crowd-x${index}`), want: 403 };
        case 2: return { method: 'GET', path: '/v1/invoices', key: 'ingest-key', want: 403 };
        case 3: return { method: 'POST', path: '/v1/customers', key: 'operator-key', body: customer(`crowd-${index}`), want: 201 };
        case 4: return { method: 'POST', path: '/v1/usage', key: 'ingest-key', body: { id: `crowd-u${index}`, customerId: 'crowd-c', meterCode: 'calls', quantity: '2', timestamp: '2026-01-15T00:00:00Z' }, want: 202 };
        case 5: return { method: 'GET', path: '/v1/customers/crowd-c', key: 'reader-key', headers: afterWrite(crowdCustomer).headers, want: 200 };
        case 6: return { method: 'GET', path: '/v1/audit/streams/customer-crowd-c', key: 'auditor-key', want: 200 };
        case 7: return { method: 'POST', path: '/v1/customers', key: 'admin-key', body: { ...customer(`crowd-x${index}`), email: 42 }, want: 400 };
        case 8: return { method: 'POST', path: '/v1/meters', key: 'operator-key', body: { code: `crowd-m${index}`, name: 'm', aggregation: 'count' }, want: 201 };
        default: return { method: 'GET', path: '/v1/audit/log?limit=5', key: 'operator-key', want: 403 };
      }
    });
    // All 1,000 are sent at once over a pool of 200 keep-alive connections, as a client library or
    // a load balancer would: 1,000 simultaneous fresh connections would only test the kernel's
    // accept queue (Node listens with a backlog of 511).
    const agent = new Agent({ keepAlive: true, maxSockets: 200 });
    const answers = await Promise.all(calls.map((call) => send(agent, call))).finally(() => agent.destroy());
    const wrong = answers
      .map((answer, index) => ({ index, want: calls[index].want, got: answer.status, detail: answer.body?.detail }))
      .filter((result) => result.got !== result.want);
    expect(wrong).toEqual([]);
    for (const [index, answer] of answers.entries()) {
      if (calls[index].want >= 400) expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.headers['x-correlation-id']).toEqual(expect.any(String));
    }
    // Exactly the accepted commands reached the log: 100 customers, 100 usage events, 100 meters.
    const appended = await readLogAfter(headBefore);
    const byKind = (prefix: string) => appended.filter((event) => event.streamId.startsWith(prefix)).length;
    expect({ customers: byKind('customer-'), usage: byKind('usage-'), meters: byKind('meter-') }).toEqual({ customers: 100, usage: 100, meters: 100 });
    expect(appended.filter((event) => event.streamId.includes('crowd-x'))).toEqual([]);
    const usage = await api.request('GET', '/v1/customers/crowd-c/usage?meterCode=calls&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z', {
      key: 'reader-key',
      headers: { 'x-min-position': String(appended[appended.length - 1].position) },
    });
    expect(usage.status).toBe(200);
    expect(usage.body.value).toBe('200');
  }, 180_000);
});
