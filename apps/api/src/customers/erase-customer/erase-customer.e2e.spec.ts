import { EVENTS_TABLE, RecordedEvent } from '@accrual/event-store';
import { findCustomer, LIVE_SCHEMA, rebuildReadModels } from '@accrual/read-models';
import { toCloudEvent } from '../../../../relay/src/cloud-event';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApiOn, TestApi, TestResponse } from '../../../../../test/support/api-app';

/**
 * GDPR erasure by crypto-shredding, end to end through the HTTP API on server Postgres and on
 * PGlite (docs/compliance.md): personal fields never reach the log, the read models or Kafka in
 * the clear; erasure destroys the key, after which every way of looking shows them as erased,
 * while every amount stays and the books still balance.
 */
describeWithPostgres('GDPR erasure (crypto-shredding) through the HTTP API', () => {
  describe.each(['postgres', 'pglite'] as const)('on %s', (kind) => {
    let api: TestApi;
    const id = 'gdpr-ada';
    const personal = {
      name: 'Ada Lovelace',
      email: 'ada.lovelace@example.test',
      address: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    };
    // Strings that must not appear anywhere once stored, before or after erasure.
    const secrets = ['Ada Lovelace', 'ada.lovelace@example.test', 'St James Square', 'SW1Y 4JH'];
    /** An instant after the customer's creation and its invoice, before the erasure. */
    let beforeErasureAt: Date;
    let beforeErasure: { trialBalance: unknown; aging: unknown };

    const createBody = { id, ...personal, currency: 'EUR', country: 'GB' };
    const post = (path: string, body: unknown, key?: string) => api.request('POST', path, { body, key });
    const get = (path: string, after?: TestResponse, key?: string) =>
      api.request('GET', path, { key, headers: after ? { 'x-min-position': after.headers.get('x-log-position') as string } : {} });
    const eventCount = async () => (await api.runtime.sql.query<{ count: string }>(`select count(*)::text as count from ${EVENTS_TABLE}`)).rows[0].count;
    const books = async (after: TestResponse) => ({
      trialBalance: (await get('/v1/reports/trial-balance?asOf=2026-04-30&currency=EUR', after)).body,
      aging: (await get('/v1/reports/ar-aging?asOf=2026-04-30&currency=EUR', after)).body,
    });
    /** Every row of every table of a read-model schema, as text. */
    const readModelText = async (schema: string) => {
      const tables = await api.runtime.sql.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = $1`,
        [schema],
      );
      const texts = await Promise.all(
        tables.rows.map(async ({ table_name }) => (await api.runtime.sql.query<{ row: string }>(`select t::text as row from ${schema}.${table_name} t`)).rows.map((row) => row.row)),
      );
      expect(texts.flat().length).toBeGreaterThan(0);
      return texts.flat().join('\n');
    };
    const logText = async () =>
      (await api.runtime.sql.query<{ row: string }>(`select data::text || metadata::text as row from ${EVENTS_TABLE}`)).rows.map((row) => row.row).join('\n');
    const expectNoSecrets = (text: string) => {
      for (const secret of secrets) expect(text).not.toContain(secret);
    };
    const customerEvents = (): Promise<RecordedEvent[]> => api.runtime.eventStore.readStream(`customer-${id}`);

    beforeAll(async () => {
      api = await startTestApiOn(kind, 'accrual_gdpr');
      const created = await api.request('POST', '/v1/customers', { body: createBody, headers: { 'idempotency-key': `create-${id}` } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id, name: 'Ada Lovelace', email: personal.email, address: { ...personal.address, line2: null, state: null }, erased: false });
      const invoice = await post('/v1/invoices', { id: 'gdpr-inv', customerId: id, lines: [{ description: 'Analytical engine', unitAmount: '300.00' }] });
      expect(invoice.status === 201 ? 201 : invoice.text).toBe(201);
      expect((await post('/v1/invoices/gdpr-inv/issue', { issuedAt: '2026-03-01T00:00:00Z' })).status).toBe(200);
      const paid = await post('/v1/payments', { id: 'gdpr-pay', customerId: id, amount: '100.00', currency: 'EUR', receivedAt: '2026-03-10T00:00:00Z', method: 'bank_transfer', reference: 'wire 42' });
      expect(paid.status).toBe(201);
      beforeErasure = await books(paid);
      beforeErasureAt = new Date();
      // Everything after this is recorded strictly later than the instant.
      await new Promise((resolve) => setTimeout(resolve, 20));
    });

    afterAll(async () => {
      await api?.close();
    });

    it('stores the personal fields only encrypted: not in the log, not in any read model', async () => {
      const [createdEvent] = await customerEvents();
      expect(createdEvent.metadata.schemaVersion).toBe(2);
      expect(createdEvent.data.personal).toEqual({ encrypted: expect.stringMatching(/^v1\./) });
      expectNoSecrets(await logText());
      expectNoSecrets(await readModelText(LIVE_SCHEMA));
    });

    it('shows them to whoever may read the customer while the key exists, and to the audit', async () => {
      const customer = await get(`/v1/customers/${id}`, undefined, 'reader-key');
      expect(customer.body).toMatchObject({ name: 'Ada Lovelace', email: personal.email, erased: false, currency: 'EUR' });
      const history = await get(`/v1/audit/streams/customer-${id}`, undefined, 'auditor-key');
      expect(history.status).toBe(200);
      expect(history.body.data[0].data.personal).toMatchObject({ name: 'Ada Lovelace', email: personal.email });
    });

    it('publishes nothing personal to Kafka: the envelope carries the stored ciphertext', async () => {
      const [createdEvent] = await customerEvents();
      const envelope = JSON.stringify(toCloudEvent(createdEvent));
      expectNoSecrets(envelope);
      expect(JSON.parse(envelope).data.personal.encrypted).toBe(createdEvent.data.personal && (createdEvent.data.personal as { encrypted: string }).encrypted);
    });

    it('lets only an admin erase: 403 for the operator and the auditor, nothing appended', async () => {
      const count = await eventCount();
      expect((await post(`/v1/customers/${id}/erase`, {}, 'operator-key')).status).toBe(403);
      expect((await post(`/v1/customers/${id}/erase`, {}, 'auditor-key')).status).toBe(403);
      expect((await post(`/v1/customers/${id}/erase`, { reason: 'x' })).status).toBe(400);
      expect((await post('/v1/customers/gdpr-nobody/erase', {})).status).toBe(404);
      expect(await eventCount()).toBe(count);
      // An unknown id stays free: no tombstone was left for it.
      expect((await post('/v1/customers', { id: 'gdpr-nobody', name: 'N', email: 'n@example.test', currency: 'EUR', country: 'GB' })).status).toBe(201);
    });

    describe('after erasure', () => {
      let erased: TestResponse;

      beforeAll(async () => {
        erased = await post(`/v1/customers/${id}/erase`, {});
      });

      it('answers 200 with the customer, personal fields null and erased: true; records who erased', async () => {
        expect(erased.status).toBe(200);
        expect(erased.body).toMatchObject({ id, name: null, email: null, address: null, erased: true, currency: 'EUR', country: 'GB' });
        const events = await customerEvents();
        const last = events[events.length - 1];
        expect(last.type).toBe('CustomerErased');
        expect(last.data).toEqual({ customerId: id, erasedBy: 'admin-actor' });
        expect(last.metadata.actor).toBe('admin-actor');
        expect(erased.headers.get('x-log-position')).toBe(last.position.toString());
      });

      it('has destroyed the key, leaving a tombstone', async () => {
        const keys = await api.runtime.sql.query<{ data_key: string | null; erased_at: Date | null }>(
          'select data_key, erased_at from privacy.customer_keys where customer_id = $1',
          [id],
        );
        expect(keys.rows).toEqual([{ data_key: null, erased_at: expect.any(Date) }]);
      });

      it('also erases the stored answer an Idempotency-Key replay of the create gives', async () => {
        const replay = await api.request('POST', '/v1/customers', { body: createBody, headers: { 'idempotency-key': `create-${id}` } });
        expect(replay.status).toBe(201);
        expect(replay.body).toMatchObject({ id, name: null, email: null, address: null, erased: true });
        const stored = await api.runtime.sql.query<{ body: string }>('select body::text as body from api.idempotency_keys');
        expectNoSecrets(stored.rows.map((row) => row.body).join('\n'));
      });

      it('is idempotent: a second erase answers the same and appends nothing', async () => {
        const count = await eventCount();
        const again = await post(`/v1/customers/${id}/erase`, {});
        expect(again.status).toBe(200);
        expect(again.body).toEqual(erased.body);
        expect(await eventCount()).toBe(count);
      });

      it('shows the fields as erased in the customer, keeps its balances, and refuses its id again', async () => {
        const customer = await get(`/v1/customers/${id}`, erased);
        expect(customer.body).toMatchObject({ id, name: null, email: null, address: null, erased: true, currency: 'EUR' });
        expect(customer.body.balances).toEqual(expect.arrayContaining([expect.objectContaining({ currency: 'EUR' })]));
        expect((await post('/v1/customers', { id, ...personal, currency: 'EUR', country: 'GB' })).status).toBe(409);
      });

      it('keeps every amount: the trial balance and the aging are unchanged and balance', async () => {
        const after = await books(erased);
        expect(after).toEqual(beforeErasure);
        const trialBalance = after.trialBalance as { totalDebit: string; totalCredit: string };
        expect(trialBalance.totalDebit).toBe(trialBalance.totalCredit);
        expect((after.aging as { totals: { total: string } }).totals.total).toBe('200.00');
      });

      it('shows the fields as erased in the audit queries', async () => {
        const history = await get(`/v1/audit/streams/customer-${id}`, undefined, 'auditor-key');
        expect(history.body.data.map((event: { type: string }) => event.type)).toEqual(expect.arrayContaining(['CustomerCreated', 'CustomerErased']));
        expect(history.body.data[0].data.personal).toEqual({ erased: true });
        const log = await get(`/v1/audit/log?fromPosition=${history.body.data[0].position}&limit=500`, undefined, 'auditor-key');
        expectNoSecrets(log.text);
        expect(log.body.data.find((event: { streamId: string }) => event.streamId === `customer-${id}`).data.personal).toEqual({ erased: true });
      });

      it('publishes the erasure to Kafka with nothing personal in it', async () => {
        for (const event of await customerEvents()) expectNoSecrets(JSON.stringify(toCloudEvent(event)));
      });

      it('a rebuild from the log shows the fields as erased, now and as of before the erasure', async () => {
        await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'gdpr_replay' });
        expect((await findCustomer(api.runtime.sql, id, 'gdpr_replay'))?.personal).toEqual({ erased: true });
        expectNoSecrets(await readModelText('gdpr_replay'));
        // As the books stood before the erasure: the ciphertext is there, but its key is not.
        await rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'gdpr_replay_past', until: beforeErasureAt });
        const past = await findCustomer(api.runtime.sql, id, 'gdpr_replay_past');
        expect(past?.personal).toEqual({ encrypted: expect.any(String) });
        expect(await api.runtime.personalDataVault.open(id, past!.personal)).toEqual({ erased: true, name: null, email: null, address: null });
        expectNoSecrets(await readModelText(LIVE_SCHEMA));
      });

      it('refuses to replay into the keys schema', async () => {
        await expect(rebuildReadModels({ store: api.runtime.eventStore, sql: api.runtime.sql, schema: 'privacy' })).rejects.toThrow(/refusing/);
      });
    });
  });
});
