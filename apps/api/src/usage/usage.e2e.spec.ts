import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';

/**
 * RecordUsage through the HTTP API: each event of a batch accepted, counted as a duplicate or
 * refused on its own; usage ids idempotent for good; every accepted event of a request appended
 * in one append across the customers' `usage-<customerId>` streams.
 */
describeWithPostgres('usage through the HTTP API', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let api: TestApi;
    const post = (path: string, body: unknown, key = 'ingest-key') => api.request('POST', path, { body, key });
    const auditStream = async (streamId: string) =>
      (await api.request('GET', `/v1/audit/streams/${streamId}?limit=500`, { key: 'auditor-key' })).body.data as Array<{ position: string; type: string; data: { id: string; customerId: string; subscriptionId: string | null; quantity: string } }>;
    const now = () => new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

    beforeAll(async () => {
      api = await startTestApiOn(kind, 'accrual_usage_e2e');
      for (const id of ['use-a', 'use-b', 'use-c']) {
        expect((await post('/v1/customers', { id, name: id, email: `${id}@example.com`, currency: 'USD', country: 'US' }, 'admin-key')).status).toBe(201);
      }
      expect((await post('/v1/meters', { code: 'calls', name: 'Calls', aggregation: 'sum' }, 'admin-key')).status).toBe(201);
      expect((await post('/v1/prices', { id: 'use-calls', product: 'Calls', currency: 'USD', recurring: { interval: 'month', usage: 'metered', meterCode: 'calls' }, model: 'per_unit', unitAmount: '0.01' }, 'admin-key')).status).toBe(201);
      expect((await post('/v1/subscriptions', { id: 'use-sub', customerId: 'use-c', startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'use-calls' }] }, 'admin-key')).status).toBe(201);
    });

    afterAll(async () => {
      await api?.close();
    });

    it('appends a batch over several customers, each event to its customer stream, and answers its last position', async () => {
      const timestamp = now();
      const answer = await post('/v1/usage/batch', {
        events: [
          { id: 'b1-1', customerId: 'use-a', meterCode: 'calls', quantity: '2', timestamp },
          { id: 'b1-2', customerId: 'use-b', meterCode: 'calls', quantity: 3, timestamp },
          { id: 'b1-3', subscriptionId: 'use-sub', meterCode: 'calls', quantity: '0.5', timestamp, properties: { region: 'eu' } },
          { id: 'b1-4', customerId: 'use-a', meterCode: 'calls', timestamp },
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
      const position = answer.headers.get('x-log-position');
      expect(position).toMatch(/^\d+$/);

      const streamA = await auditStream('usage-use-a');
      expect(streamA.map((event) => [event.data.id, event.data.quantity])).toEqual([['b1-1', '2'], ['b1-4', '1']]);
      expect((await auditStream('usage-use-b')).map((event) => event.data.quantity)).toEqual(['3']);
      const streamC = await auditStream('usage-use-c');
      expect(streamC.map((event) => [event.data.id, event.data.customerId, event.data.subscriptionId])).toEqual([['b1-3', 'use-c', 'use-sub']]);
      const positions = [...streamA, ...streamC].map((event) => BigInt(event.position));
      expect(positions.reduce((max, next) => (next > max ? next : max))).toBeLessThanOrEqual(BigInt(position!));
    });

    it('counts a resent usage id as a duplicate, in a later request and within one, and appends nothing again', async () => {
      const timestamp = now();
      const first = await post('/v1/usage/batch', { events: [{ id: 'dup-1', customerId: 'use-b', meterCode: 'calls', quantity: '7', timestamp }] });
      expect(first.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      const again = await post('/v1/usage/batch', {
        events: [
          { id: 'dup-1', customerId: 'use-b', meterCode: 'calls', quantity: '7', timestamp },
          { id: 'dup-2', customerId: 'use-b', meterCode: 'calls', quantity: '1', timestamp },
          { id: 'dup-2', customerId: 'use-b', meterCode: 'calls', quantity: '1', timestamp },
        ],
      });
      expect(again.status).toBe(202);
      expect(again.body).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
      const single = await post('/v1/usage', { id: 'dup-1', customerId: 'use-b', meterCode: 'calls', quantity: '7', timestamp });
      expect(single.status).toBe(202);
      expect(single.body).toEqual({ accepted: 0, duplicates: 1 });
      expect(single.headers.get('x-log-position')).toMatch(/^\d+$/);
      const ids = (await auditStream('usage-use-b')).map((event) => event.data.id);
      expect(ids.filter((id) => id === 'dup-1')).toHaveLength(1);
      expect(ids.filter((id) => id === 'dup-2')).toHaveLength(1);
    });

    it('refuses each bad event on its own and appends the others', async () => {
      const timestamp = now();
      const future = new Date(Date.now() + 10 * 60_000).toISOString();
      const answer = await post('/v1/usage/batch', {
        events: [
          { id: 'mix-ok', customerId: 'use-a', meterCode: 'calls', quantity: '1', timestamp },
          { id: 'mix-nobody', customerId: 'no-such-customer', meterCode: 'calls', timestamp },
          { id: 'mix-nosub', subscriptionId: 'no-such-sub', meterCode: 'calls', timestamp },
          { id: 'mix-nometer', customerId: 'use-a', meterCode: 'no-such-meter', timestamp },
          { id: 'mix-future', customerId: 'use-a', meterCode: 'calls', timestamp: future },
          { id: 'mix-negative', customerId: 'use-a', meterCode: 'calls', quantity: '-1', timestamp },
          'not an object',
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body.accepted).toBe(1);
      expect(answer.body.duplicates).toBe(0);
      expect(answer.body.rejected.map((rejection: { index: number; type: string }) => [rejection.index, rejection.type])).toEqual([
        [1, 'customer-not-found'],
        [2, 'subscription-not-found'],
        [3, 'unknown-meter'],
        [4, 'invalid-input'],
        [5, 'invalid-input'],
        [6, 'invalid-input'],
      ]);
      expect(answer.body.rejected[3].detail).toContain('5 minutes in the future');
      const ids = (await auditStream('usage-use-a')).map((event) => event.data.id);
      expect(ids).toContain('mix-ok');
      expect(ids).not.toContain('mix-future');
    });

    it('answers a batch where nothing is appended with the head position', async () => {
      const answer = await post('/v1/usage/batch', { events: [{ id: 'none-1', customerId: 'no-such-customer', meterCode: 'calls', timestamp: now() }] });
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ accepted: 0, duplicates: 0, rejected: [{ index: 0, type: 'customer-not-found' }] });
      expect(answer.headers.get('x-log-position')).toMatch(/^\d+$/);
    });

    it('refuses a single bad event, a batch that is not a list and a batch over 1,000, appending nothing', async () => {
      const single = await post('/v1/usage', { id: 'single-bad', customerId: 'use-a', meterCode: 'calls', quantity: 'lots', timestamp: now() });
      expect(single.status).toBe(400);
      expect(single.headers.get('content-type')).toContain('application/problem+json');
      expect(single.body.errors).toEqual([expect.objectContaining({ field: 'quantity' })]);
      expect((await post('/v1/usage/batch', { events: 'many' })).status).toBe(400);
      const tooMany = Array.from({ length: 1001 }, (_unused, index) => ({ id: `big-${index}`, customerId: 'use-a', meterCode: 'calls', timestamp: now() }));
      const refused = await post('/v1/usage/batch', { events: tooMany });
      expect(refused.status).toBe(400);
      const ids = (await auditStream('usage-use-a')).map((event) => event.data.id);
      expect(ids).not.toContain('single-bad');
      expect(ids).not.toContain('big-0');
    });
  });
});
