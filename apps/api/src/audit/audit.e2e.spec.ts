import { RecordedEvent } from '@accrual/event-store';
import { PersonalDataView } from '@accrual/platform';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';
import { jsonInteger } from './audit-event';

describe('jsonInteger', () => {
  it('keeps positions exact: numbers up to 2^53 - 1, decimal strings beyond', () => {
    expect(jsonInteger(42n)).toBe(42);
    expect(jsonInteger(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(jsonInteger(9_007_199_254_740_993n)).toBe('9007199254740993');
  });
});

/** The audit API (CONTRACT §6) on real Postgres: stream history, the log in order, verification. */
describeWithPostgres('audit API', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApiOn('postgres', 'accrual_audit');
  });

  afterAll(async () => {
    await api?.close();
  });

  const audit = (path: string, key = 'auditor-key') => api.request('GET', path, { key });

  /**
   * Waits until log readers see everything committed: a reader sees nothing past a transaction
   * still open below it (the projector's, say), so the log's tail shows up a moment later.
   */
  async function logSettled(): Promise<void> {
    const head = await api.runtime.eventStore.headPosition();
    for (let attempt = 0; attempt < 500; attempt += 1) {
      const [last] = await api.runtime.eventStore.readAll({ after: head - 1n, maxCount: 1 });
      if (last?.position === head) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`log position ${head} never became readable`);
  }
  const customer = (id: string) => ({ id, name: 'Initech', email: 'ap@initech.test', currency: 'EUR', country: 'DE' });
  const meter = (code: string) => ({ code, name: code, aggregation: 'sum' });

  it("answers a stream's every event, oldest first, with who and when", async () => {
    const created = await api.request('POST', '/v1/customers', {
      key: 'operator-key',
      body: customer('aud-c1'),
      headers: { 'x-correlation-id': 'audit-corr-1', 'x-causation-id': 'ticket-77' },
    });
    expect(created.status).toBe(201);
    const history = await audit('/v1/audit/streams/customer-aud-c1');
    expect(history.status).toBe(200);
    expect(history.body.nextCursor).toBeNull();
    expect(history.body.data).toHaveLength(1);
    const [event] = history.body.data;
    expect(event).toMatchObject({
      position: Number(created.headers.get('x-log-position')),
      streamId: 'customer-aud-c1',
      version: 0,
      type: expect.any(String),
      data: expect.any(Object),
      metadata: {
        actor: 'operator-actor',
        role: 'operator',
        correlationId: 'audit-corr-1',
        causationId: 'ticket-77',
        recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    expect(event).toHaveProperty('hash');
    const [stored] = await api.runtime.eventStore.readStream('customer-aud-c1');
    expect(event.hash).toBe(stored.hash ?? null);
    expect(event.id).toBe(stored.id);
  });

  it('pages a long stream by version, in order', async () => {
    for (const code of ['aud-m1', 'aud-m2', 'aud-m3']) expect((await api.request('POST', '/v1/meters', { body: meter(code) })).status).toBe(201);
    // Meters are one stream each; a customer's usage stream grows by one event per usage.
    expect((await api.request('POST', '/v1/customers', { body: customer('aud-c2') })).status).toBe(201);
    for (const id of ['u1', 'u2', 'u3', 'u4', 'u5']) {
      const usage = { id: `aud-${id}`, customerId: 'aud-c2', meterCode: 'aud-m1', quantity: '1', timestamp: '2026-01-15T00:00:00Z' };
      expect((await api.request('POST', '/v1/usage', { key: 'ingest-key', body: usage })).status).toBe(202);
    }
    const versions: number[] = [];
    let path = '/v1/audit/streams/usage-aud-c2?limit=2';
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await audit(path);
      expect(page.status).toBe(200);
      versions.push(...page.body.data.map((event: { version: number }) => event.version));
      if (page.body.nextCursor === null) break;
      path = `/v1/audit/streams/usage-aud-c2?limit=2&cursor=${page.body.nextCursor}`;
    }
    expect(versions).toEqual([0, 1, 2, 3, 4]);
  });

  it('answers the whole log in order from a position, page by page', async () => {
    const first = await api.request('POST', '/v1/meters', { body: meter('aud-log-1') });
    for (const code of ['aud-log-2', 'aud-log-3', 'aud-log-4']) await api.request('POST', '/v1/meters', { body: meter(code) });
    const from = first.headers.get('x-log-position');
    await logSettled();
    const positions: number[] = [];
    const streams: string[] = [];
    let path = `/v1/audit/log?fromPosition=${from}&limit=2`;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await audit(path);
      expect(page.status).toBe(200);
      positions.push(...page.body.data.map((event: { position: number }) => event.position));
      streams.push(...page.body.data.map((event: { streamId: string }) => event.streamId));
      if (page.body.nextCursor === null) break;
      path = `/v1/audit/log?cursor=${page.body.nextCursor}&limit=2`;
    }
    expect(positions[0]).toBe(Number(from));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    expect(streams.slice(0, 4)).toEqual(['meter-aud-log-1', 'meter-aud-log-2', 'meter-aud-log-3', 'meter-aud-log-4']);
    const all = await api.runtime.eventStore.readAll({ after: BigInt(from!) - 1n, maxCount: 1000 });
    expect(positions).toEqual(all.map((event) => Number(event.position)));
  });

  it('answers the log from the start by default', async () => {
    await logSettled();
    const page = await audit('/v1/audit/log?limit=1');
    expect(page.status).toBe(200);
    const [oldest] = await api.runtime.eventStore.readAll({ maxCount: 1 });
    expect(page.body.data[0].position).toBe(Number(oldest.position));
    expect(page.body.nextCursor).toBe(String(oldest.position + 1n));
  });

  it('shows events as the personal-data view reveals them', async () => {
    expect((await api.request('POST', '/v1/customers', { body: customer('aud-c3') })).status).toBe(201);
    await logSettled();
    const original = api.runtime.personalData;
    const marking: PersonalDataView = {
      reveal: async (events: readonly RecordedEvent[]) => events.map((event) => ({ ...event, data: { ...event.data, revealedBy: 'view' } })),
    };
    api.runtime.personalData = marking;
    try {
      const history = await audit('/v1/audit/streams/customer-aud-c3');
      expect(history.body.data[0].data.revealedBy).toBe('view');
      const log = await audit(`/v1/audit/log?fromPosition=${history.body.data[0].position}&limit=1`);
      expect(log.body.data[0].data.revealedBy).toBe('view');
    } finally {
      api.runtime.personalData = original;
    }
  });

  it('answers 404 for a stream that does not exist and 400 for what cannot be a stream id or position', async () => {
    const missing = await audit('/v1/audit/streams/customer-nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe('stream-not-found');
    expect((await audit(`/v1/audit/streams/${encodeURIComponent("customer-x'; drop table x;--")}`)).status).toBe(400);
    expect((await audit('/v1/audit/log?fromPosition=-1')).status).toBe(400);
    expect((await audit('/v1/audit/log?fromPosition=1&cursor=2')).status).toBe(400);
    expect((await audit('/v1/audit/log?limit=501')).status).toBe(400);
    expect((await audit('/v1/audit/streams/customer-aud-c1?cursor=abc')).status).toBe(400);
  });

  it('lets only auditor and admin in', async () => {
    for (const key of ['auditor-key', 'admin-key']) expect((await audit('/v1/audit/log?limit=1', key)).status).toBe(200);
    for (const key of ['operator-key', 'reader-key', 'ingest-key']) {
      expect((await audit('/v1/audit/log?limit=1', key)).status).toBe(403);
      expect((await api.request('POST', '/v1/audit/verify', { key })).status).toBe(403);
    }
    expect((await audit('/v1/audit/log', 'nobody')).status).toBe(401);
  });

  it('verifies the log end to end', async () => {
    const verified = await api.request('POST', '/v1/audit/verify', { key: 'auditor-key' });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, checked: expect.any(Number) });
    expect(verified.body.checked).toBeGreaterThan(0);
    expect(verified.body).not.toHaveProperty('firstBadPosition');
  });

  it('names the first position that does not verify once a stored event is edited', async () => {
    const created = await api.request('POST', '/v1/meters', { body: meter('aud-tampered') });
    expect(created.status).toBe(201);
    const position = created.headers.get('x-log-position') as string;
    await logSettled();
    await api.runtime.sql.query(`update event_store_events set data = data || '{"name": "forged"}' where global_position = $1`, [position]);
    const verified = await api.request('POST', '/v1/audit/verify', { key: 'admin-key' });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: false, firstBadPosition: Number(position) });
  });
});
