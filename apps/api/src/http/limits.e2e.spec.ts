import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';

/** Limits on request bodies and request rates (TigerBeetle: a limit on everything). */
describeWithPostgres('request limits', () => {
  const customer = (id: string, name = 'Initech') => ({ id, name, email: 'ap@initech.test', currency: 'EUR', country: 'DE' });

  describe('body size, configured to 4 KiB', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApiOn('postgres', 'accrual_limits_body', { bodyLimitBytes: 4096 });
    });

    afterAll(async () => {
      await api?.close();
    });

    it('refuses a larger body with 413 problem+json and appends nothing', async () => {
      const before = await api.runtime.eventStore.headPosition();
      const answer = await api.request('POST', '/v1/customers', { body: customer('lim-big', 'x'.repeat(5000)) });
      expect(answer.status).toBe(413);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ type: 'payload-too-large', status: 413, title: expect.any(String), detail: expect.any(String) });
      expect(answer.headers.get('x-correlation-id')).toEqual(expect.any(String));
      expect(await api.runtime.eventStore.headPosition()).toBe(before);
    });

    it('reads a body just under the limit (and validates it)', async () => {
      const answer = await api.request('POST', '/v1/customers', { body: { ...customer('lim-fits'), padding: 'x'.repeat(3500) } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'padding' })]);
    });

    it('refuses a large body whatever its declared type', async () => {
      const answer = await api.request('POST', '/v1/customers', {
        rawBody: JSON.stringify(customer('lim-typed', 'y'.repeat(5000))),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(answer.status).toBe(413);
    });
  });

  describe('body size, the 1 MiB default', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startTestApiOn('postgres', 'accrual_limits_default');
    });

    afterAll(async () => {
      await api?.close();
    });

    it('reads 900 KB and refuses 1.1 MB', async () => {
      const under = await api.request('POST', '/v1/customers', { body: { ...customer('lim-900k'), padding: 'p'.repeat(900_000) } });
      expect(under.status).toBe(400);
      expect(under.body.type).toBe('invalid-input');
      const over = await api.request('POST', '/v1/customers', { body: { ...customer('lim-1m'), padding: 'p'.repeat(1_100_000) } });
      expect(over.status).toBe(413);
    });
  });

  describe('rate limit per key, configured to a burst of 3 refilled every 100 s', () => {
    let api: TestApi;

    beforeAll(async () => {
      // So slow a refill that nothing comes back during the test, however busy the machine.
      api = await startTestApiOn('postgres', 'accrual_limits_rate', { rateLimit: { perSecond: 0.01, burst: 3 } });
    });

    afterAll(async () => {
      await api?.close();
    });

    it('answers 429 problem+json with Retry-After once the burst is spent, per key', async () => {
      const statuses: number[] = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await api.request('GET', '/v1/invoices', { key: 'reader-key' })).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await api.request('GET', '/v1/invoices', { key: 'reader-key' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(limited.body).toMatchObject({ type: 'rate-limited', status: 429 });
      expect(limited.headers.get('retry-after')).toBe('100');
      // Another key has a bucket of its own; /health takes no key and no token.
      expect((await api.request('GET', '/v1/invoices', { key: 'auditor-key' })).status).toBe(200);
      expect((await api.request('GET', '/health', { key: null })).status).toBe(200);
    });

    it('appends nothing for a limited command', async () => {
      for (let index = 0; index < 3; index += 1) {
        expect((await api.request('POST', '/v1/customers', { key: 'operator-key', body: customer(`rate-${index}`) })).status).toBe(201);
      }
      const before = await api.runtime.eventStore.headPosition();
      const limited = await api.request('POST', '/v1/customers', { key: 'operator-key', body: customer('rate-3') });
      expect(limited.status).toBe(429);
      expect(await api.runtime.eventStore.headPosition()).toBe(before);
      expect(await api.runtime.eventStore.readStream('customer-rate-3')).toEqual([]);
    });

    it('does not spend tokens on unknown keys', async () => {
      expect((await api.request('GET', '/v1/invoices', { key: 'no-such-key' })).status).toBe(401);
      expect((await api.request('GET', '/v1/invoices', { key: 'no-such-key' })).status).toBe(401);
      expect((await api.request('GET', '/v1/invoices', { key: 'admin-key' })).status).toBe(200);
    });
  });
});
