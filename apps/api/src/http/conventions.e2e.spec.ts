import { openTestPostgres, TestDatabase } from '../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../test/support/api-app';

/** CONTRACT §2 conventions on real Postgres: auth and roles, problem+json, idempotency, read-your-writes. */
describeWithPostgres('HTTP conventions', () => {
  let api: TestApi;
  let database: TestDatabase;
  const customer = (id: string) => ({ id, name: 'Initech', email: 'ap@initech.test', currency: 'EUR', country: 'DE' });

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_http');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url, bodyLimitBytes: 64 * 1024 }));
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  async function logHead(): Promise<bigint> {
    return api.runtime.eventStore.headPosition();
  }

  describe('auth', () => {
    it('answers /health without a key', async () => {
      const health = await api.request('GET', '/health', { key: null });
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
    });

    it('refuses a missing or unknown key with 401 problem+json and writes nothing', async () => {
      const before = await logHead();
      for (const key of [null, 'not-a-key']) {
        const answer = await api.request('POST', '/v1/customers', { key, body: customer('c-401') });
        expect(answer.status).toBe(401);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ type: 'unauthorized', status: 401, title: expect.any(String), detail: expect.any(String) });
      }
      expect(await logHead()).toBe(before);
    });

    it.each([
      ['reader', 'POST', '/v1/customers', 403],
      ['auditor', 'POST', '/v1/customers', 403],
      ['ingest', 'POST', '/v1/customers', 403],
      ['ingest', 'GET', '/v1/invoices', 403],
      ['reader', 'POST', '/v1/usage', 403],
      ['reader', 'GET', '/v1/invoices', 200],
      ['auditor', 'GET', '/v1/invoices', 200],
      ['operator', 'GET', '/v1/invoices', 200],
    ])('role %s on %s %s answers %i', async (role, method, path, status) => {
      const answer = await api.request(method, path, { key: `${role}-key`, body: method === 'POST' ? customer(`c-${role}`) : undefined });
      expect(answer.status).toBe(status);
    });

    it('records the key name as the actor of the events it causes', async () => {
      const created = await api.request('POST', '/v1/customers', { key: 'operator-key', body: customer('c-actor') });
      expect(created.status).toBe(201);
      const [event] = await api.runtime.eventStore.readStream('customer-c-actor');
      expect(event.metadata).toMatchObject({ actor: 'operator-actor', role: 'operator', recordedAt: expect.any(String) });
      expect(created.headers.get('x-correlation-id')).toBe(event.metadata.correlationId);
    });
  });

  describe('errors', () => {
    it('answers 400 with field errors and appends nothing', async () => {
      const before = await logHead();
      const answer = await api.request('POST', '/v1/customers', { body: { name: 42, currency: 'XYZ', country: 'de', extra: true } });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const fields = answer.body.errors.map((error: { field: string }) => error.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'email', 'extra']));
      expect(await logHead()).toBe(before);
    });

    it('refuses JSON numbers for money', async () => {
      const answer = await api.request('POST', '/v1/prices', { body: { product: 'X', currency: 'USD', model: 'per_unit', unitAmount: 12.5 } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'unitAmount' })]));
    });

    it('answers malformed JSON and oversized bodies with problem+json', async () => {
      const malformed = await api.request('POST', '/v1/customers', { rawBody: '{"name": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.type).toBe('malformed-json');
      const huge = await api.request('POST', '/v1/customers', { body: { ...customer('c-huge'), name: 'x'.repeat(100 * 1024) } });
      expect(huge.status).toBe(413);
      expect(huge.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('answers 409 for an id that exists, 404 for what does not, 422 for a broken rule', async () => {
      expect((await api.request('POST', '/v1/customers', { body: customer('c-dup') })).status).toBe(201);
      const duplicate = await api.request('POST', '/v1/customers', { body: customer('c-dup') });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.type).toBe('customer-exists');
      const missing = await api.request('GET', '/v1/invoices/none');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const unknownMeter = await api.request('POST', '/v1/prices', {
        body: { product: 'X', currency: 'USD', model: 'per_unit', unitAmount: '1', recurring: { interval: 'month', usage: 'metered', meterCode: 'ghost' } },
      });
      expect(unknownMeter.status).toBe(422);
      expect(unknownMeter.body.type).toBe('unknown-meter');
      const noRoute = await api.request('GET', '/v1/nowhere');
      expect(noRoute.status).toBe(404);
      expect(noRoute.body.type).toBe('route-not-found');
    });

    it('refuses business instants more than 5 minutes in the future', async () => {
      const future = new Date(Date.now() + 10 * 60_000).toISOString();
      const answer = await api.request('POST', '/v1/billing-runs', { body: { asOf: future } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].field).toBe('asOf');
    });
  });

  describe('idempotency', () => {
    it('replays the first answer for the same key and body, and appends nothing', async () => {
      const headers = { 'idempotency-key': 'key-1' };
      const first = await api.request('POST', '/v1/customers', { body: customer('c-idem'), headers });
      const before = await logHead();
      const again = await api.request('POST', '/v1/customers', { body: customer('c-idem'), headers });
      expect(again.status).toBe(first.status);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('x-log-position')).toBe(first.headers.get('x-log-position'));
      expect(await logHead()).toBe(before);
    });

    it('refuses the same key with another body: 422 idempotency-key-reused', async () => {
      const headers = { 'idempotency-key': 'key-2' };
      await api.request('POST', '/v1/customers', { body: customer('c-idem-2'), headers });
      const other = await api.request('POST', '/v1/customers', { body: customer('c-idem-3'), headers });
      expect(other.status).toBe(422);
      expect(other.body.type).toBe('idempotency-key-reused');
    });

    it('replays a refusal as it was first sent', async () => {
      const headers = { 'idempotency-key': 'key-3' };
      const first = await api.request('POST', '/v1/customers', { body: { name: 'no email' }, headers });
      const again = await api.request('POST', '/v1/customers', { body: { name: 'no email' }, headers });
      expect(first.status).toBe(400);
      expect(again.status).toBe(400);
      expect(again.body).toEqual(first.body);
    });

    it('runs one of many concurrent requests with one key', async () => {
      const headers = { 'idempotency-key': 'key-4' };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => api.request('POST', '/v1/customers', { body: customer('c-idem-4'), headers })),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
      expect(await api.runtime.eventStore.readStream('customer-c-idem-4')).toHaveLength(1);
    });
  });

  describe('read your writes', () => {
    it('waits for X-Min-Position and then answers from the read model', async () => {
      const created = await api.request('POST', '/v1/customers', { body: customer('c-ryw') });
      const position = created.headers.get('x-log-position') as string;
      const read = await api.request('GET', '/v1/customers/c-ryw', { headers: { 'x-min-position': position } });
      expect(read.status).toBe(200);
      expect(read.body.id).toBe('c-ryw');
    });

    it('answers 503 with Retry-After when the read models cannot reach the position in time', async () => {
      const far = ((await logHead()) + 1000n).toString();
      const started = Date.now();
      const read = await api.request('GET', '/v1/customers/c-ryw', { headers: { 'x-min-position': far } });
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    }, 20_000);
  });

  describe('lists', () => {
    it('pages invoices with limit and cursor', async () => {
      expect((await api.request('POST', '/v1/customers', { body: customer('c-list') })).status).toBe(201);
      for (let index = 0; index < 5; index += 1) {
        const draft = await api.request('POST', '/v1/invoices', {
          body: { id: `inv-list-${index}`, customerId: 'c-list', lines: [{ description: 'Setup', unitAmount: '100.00' }] },
        });
        expect(draft.status).toBe(201);
      }
      const head = (await logHead()).toString();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/v1/invoices?customerId=c-list&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await api.request('GET', query, { headers: { 'x-min-position': head } });
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((invoice: { id: string }) => invoice.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['inv-list-4', 'inv-list-3', 'inv-list-2', 'inv-list-1', 'inv-list-0']);
      expect((await api.request('GET', '/v1/invoices?limit=501')).status).toBe(400);
    });
  });
});
