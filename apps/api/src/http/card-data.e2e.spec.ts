import { EVENTS_TABLE } from '@accrual/event-store';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';

/**
 * PCI DSS: no card data is accepted anywhere (docs/compliance.md). A card number in any string of
 * any request body is refused with 422 `card-data-refused` naming the field, and nothing is
 * appended; decimal amounts and quantities are numbers, not text, and pass.
 */
describeWithPostgres('card data is refused everywhere', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let api: TestApi;
    // Visa's published test number, as people write it.
    const visa = '4111 1111 1111 1111';

    const post = (path: string, body: unknown, key?: string | null) => api.request('POST', path, { body, key });
    const eventCount = async () => (await api.runtime.sql.query<{ count: string }>(`select count(*)::text as count from ${EVENTS_TABLE}`)).rows[0].count;
    const expectRefused = async (path: string, body: unknown, field: string, key?: string) => {
      const before = await eventCount();
      const answer = await post(path, body, key);
      expect(answer.status).toBe(422);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ type: 'card-data-refused', status: 422, errors: [{ field, message: expect.any(String) }] });
      // The card number is never echoed back.
      expect(answer.text).not.toMatch(/4111[ -]?1111/);
      expect(await eventCount()).toBe(before);
    };

    beforeAll(async () => {
      api = await startTestApiOn(kind, 'accrual_pci');
      expect((await post('/v1/customers', { id: 'pci-cus', name: 'Grace', email: 'grace@example.test', currency: 'USD', country: 'US' })).status).toBe(201);
      expect((await post('/v1/meters', { code: 'pci_calls', name: 'Calls', aggregation: 'sum' })).status).toBe(201);
    });

    afterAll(async () => {
      await api?.close();
    });

    it('refuses a card number in a customer name', async () => {
      await expectRefused('/v1/customers', { id: 'pci-2', name: `Grace ${visa}`, email: 'g@example.test', currency: 'USD', country: 'US' }, 'name');
    });

    it('refuses a card number in an invoice memo and in a line description', async () => {
      const invoice = { id: 'pci-inv', customerId: 'pci-cus', lines: [{ description: 'Setup', unitAmount: '10.00' }] };
      await expectRefused('/v1/invoices', { ...invoice, memo: `paid by card ${visa.replace(/ /g, '-')}` }, 'memo');
      await expectRefused('/v1/invoices', { ...invoice, lines: [{ description: `card 4111111111111111`, unitAmount: '10.00' }] }, 'lines[0].description');
    });

    it('refuses a card number as a payment reference or method: they are opaque references', async () => {
      const payment = { customerId: 'pci-cus', amount: '10.00', currency: 'USD', receivedAt: '2026-03-10T00:00:00Z', method: 'card' };
      await expectRefused('/v1/payments', { ...payment, reference: visa }, 'reference');
      await expectRefused('/v1/payments', { ...payment, method: '4111111111111111' }, 'method');
    });

    it('refuses a card number in a usage property, also for the ingest role and in a batch', async () => {
      const usage = { id: 'pci-use-1', customerId: 'pci-cus', meterCode: 'pci_calls', timestamp: '2026-03-01T00:00:00Z' };
      await expectRefused('/v1/usage', { ...usage, properties: { note: `card ${visa}` } }, 'properties.note', 'ingest-key');
      await expectRefused('/v1/usage/batch', { events: [usage, { ...usage, id: 'pci-use-2', properties: { pan: visa } }] }, 'events[1].properties.pan', 'ingest-key');
    });

    it('lets amounts and quantities through: they are numbers, not text', async () => {
      const accepted = await post('/v1/usage', { id: 'pci-use-3', customerId: 'pci-cus', meterCode: 'pci_calls', quantity: '4111111111111111', timestamp: '2026-03-01T00:00:00Z' });
      expect(accepted.status).toBe(202);
      const ordinary = await post('/v1/payments', { customerId: 'pci-cus', amount: '10.00', currency: 'USD', receivedAt: '2026-03-10T00:00:00Z', method: 'card', reference: 'ch_3MmlLrLkdIwHu7ix0snN0B15' });
      expect(ordinary.status).toBe(201);
    });

    it('authenticates first: no key is 401, even with card data', async () => {
      expect((await post('/v1/customers', { name: visa }, null)).status).toBe(401);
    });
  });
});
