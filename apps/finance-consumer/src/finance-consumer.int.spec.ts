import { randomBytes } from 'node:crypto';
import { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { streamKindOf } from '@accrual/billing';
import { PgSqlClient } from '@accrual/database';
import { Money } from '@accrual/money';
import { Admin, Consumer, logLevel } from 'kafkajs';
import { startTestApiOn, TestApi, TestResponse } from '../../../test/support/api-app';
import { describeWithKafka, kafkaBrokers, testKafka } from '../../../test/support/kafka';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithPostgres } from '../../../test/support/suites';
import { KafkaRelay } from '../../relay/src';
import { FinanceConsumerModule } from './finance-consumer.module';
import { FinanceJournal } from './finance-journal';
import { FINANCE_SCHEMA, migrateFinanceSchema } from './finance-schema';
import { FINANCE_TOPICS } from './finance-topics';
import { GL_SUMMARY_COLUMNS, GlSummaryRow, toCsv } from './gl-csv';
import { exportGeneralLedger, journalTrialBalance } from './gl-export';
import { financeConsumerKafkaOptions } from './kafka-options';

/**
 * The reference finance consumer end to end, on the real broker: a scripted scenario through the
 * real API (projector in-process) and the real relay; the consumer (Nest's Kafka transport) builds
 * its general ledger in a database of its own, and its journal must equal the ledger's own
 * `journal_entries`, line for line, even though the relay "crashed" between a send and its
 * checkpoint and the topics hold repeats.
 *
 * The topics are the contract's and outlive test runs (other suites publish on them too), so the
 * run's customer ids are its own, the consumer group starts at the topics' current ends, and the
 * comparisons look at this run's customers; the scenario's business days (2021) and currencies
 * (CHF, JPY) keep the export's figures apart from other suites'.
 */

const WAIT_MS = 90_000;
const PARTITIONS = 6;
const TOPICS = Object.values(FINANCE_TOPICS);

describeWithKafka('finance consumer (real Kafka)', () => {
  describeWithPostgres('finance consumer (real Postgres)', () => {
    const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const customers = { chf: `fc-${run}-chf`, jpy: `fc-${run}-jpy` };
    const groupId = `accrual-finance-test-${run}`;
    let api: TestApi;
    let ledgerDb: TestDatabase;
    let glSql: PgSqlClient;
    let admin: Admin;
    let consumerApp: INestMicroservice;
    let journal: FinanceJournal;
    let raw: RawCollector;
    let last: TestResponse;
    const relays: KafkaRelay[] = [];

    const post = async (path: string, body: unknown): Promise<TestResponse> => {
      let response = await api.request('POST', path, { body });
      // 503 read-model-behind asks the client to try again (the machine is shared by busy suites).
      for (let retry = 0; response.status === 503 && retry < 6; retry += 1) response = await api.request('POST', path, { body });
      if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
      last = response;
      return response;
    };
    const lastPosition = (): bigint => BigInt(last.headers.get('x-log-position') as string);
    const get = async (path: string) => {
      const response = await api.request('GET', path, { headers: { 'x-min-position': lastPosition().toString() } });
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    };

    function relay(): KafkaRelay {
      const started = new KafkaRelay({
        eventStore: api.runtime.eventStore,
        sql: api.runtime.sql,
        brokers: kafkaBrokers(),
        clientId: `accrual-relay-finance-test-${run}`,
        partitions: PARTITIONS,
        retryBackoffMs: { initialMs: 50, maxMs: 400 },
        log: () => undefined,
      });
      relays.push(started);
      return started;
    }

    beforeAll(async () => {
      api = await startTestApiOn('postgres', 'accrual_finance_ledger');
      ({ sql: glSql, database: ledgerDb } = await openTestPostgres('accrual_finance_gl'));
      await migrateFinanceSchema(glSql);
      admin = testKafka('accrual-finance-test-admin').admin();
      await admin.connect();
      await ensureTopics(admin);
      // A group that starts now: what earlier runs left on the shared topics is not this test's.
      await startGroupAtTopicEnds(admin, groupId);
      await startGroupAtTopicEnds(admin, `${groupId}-raw`);
      consumerApp = await NestFactory.createMicroservice(FinanceConsumerModule.register({ sql: glSql }), {
        ...financeConsumerKafkaOptions({ brokers: kafkaBrokers(), groupId, kafkaLogLevel: logLevel.NOTHING }),
        logger: ['error'],
      });
      await consumerApp.listen();
      journal = consumerApp.get(FinanceJournal);
      raw = new RawCollector(new Set(Object.values(customers)), `${groupId}-raw`);
      await raw.start();
    });

    afterAll(async () => {
      for (const started of relays) await started.stop().catch(() => undefined);
      await consumerApp?.close().catch(() => undefined);
      await raw?.stop().catch(() => undefined);
      await admin?.deleteGroups([groupId, `${groupId}-raw`]).catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
      await glSql?.close().catch(() => undefined);
      await ledgerDb?.drop().catch(() => undefined);
      await api?.close();
    });

    it('keeps a journal equal to the ledger’s, line for line, though the relay sends a stretch twice', async () => {
      // Part 1: catalog, customers, a billing run, a manual invoice with a service period, a payment.
      await post('/v1/tax-rates', { id: `ch-vat-${run}`, displayName: 'MWST 8.1 %', country: 'CH', percentage: '8.1', inclusive: false });
      await post('/v1/customers', { id: customers.chf, name: 'Helvetia AG', email: `chf-${run}@example.test`, currency: 'CHF', country: 'CH' });
      await post('/v1/customers', { id: customers.jpy, name: 'Nippon KK', email: `jpy-${run}@example.test`, currency: 'JPY', country: 'JP' });
      await post('/v1/prices', { id: `seats-${run}`, product: 'Seats', currency: 'CHF', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '31.00' });
      await post('/v1/subscriptions', { id: `sub-${run}`, customerId: customers.chf, startDate: '2021-01-01T00:00:00Z', items: [{ priceId: `seats-${run}`, quantity: 2 }] });
      const billed = (await post('/v1/billing-runs', { asOf: '2021-01-01T00:00:00Z' })).body.invoiceIds[0] as string;
      const beforeManualInvoice = lastPosition();
      await post('/v1/invoices', {
        id: `m1-${run}`,
        customerId: customers.chf,
        lines: [
          { description: 'Setup', unitAmount: '10.00' },
          { description: 'Support', unitAmount: '60.00', periodStart: '2021-01-11T00:00:00Z', periodEnd: '2021-03-12T00:00:00Z' },
        ],
      });
      await post(`/v1/invoices/m1-${run}/issue`, { issuedAt: '2021-01-11T09:00:00Z' });
      await post('/v1/payments', { customerId: customers.chf, invoiceId: `m1-${run}`, amount: '50.00', currency: 'CHF', receivedAt: '2021-01-20T00:00:00Z', method: 'bank_transfer' });

      const first = relay();
      await first.start();
      const firstHead = lastPosition();
      await first.waitForCheckpoint(firstHead, WAIT_MS);
      await first.stop();
      // As if it had died after the broker acknowledged everything but before it checkpointed
      // the manual invoice and the payment: the next relay sends them again.
      await api.runtime.sql.query(`update relay.checkpoints set position = $1 where name = 'kafka'`, [beforeManualInvoice.toString()]);

      // Part 2: a credit note, an overpayment and its refund, and a JPY invoice issued then voided.
      await post('/v1/credit-notes', { id: `cn-${run}`, invoiceId: `m1-${run}`, amount: '35.00', reason: 'outage', issuedAt: '2021-02-01T00:00:00Z' });
      await post('/v1/payments', { id: `p2-${run}`, customerId: customers.chf, invoiceId: billed, amount: '90.00', currency: 'CHF', receivedAt: '2021-02-05T00:00:00Z', method: 'bank_transfer' });
      await post(`/v1/payments/p2-${run}/refund`, { amount: '9.00', at: '2021-03-15T00:00:00Z', reason: 'overpaid' });
      await post('/v1/invoices', { id: `j1-${run}`, customerId: customers.jpy, lines: [{ description: 'Audit', unitAmount: '12000' }] });
      await post(`/v1/invoices/j1-${run}/issue`, { issuedAt: '2021-01-15T00:00:00Z' });
      await post(`/v1/invoices/j1-${run}/void`, { at: '2021-02-10T00:00:00Z', reason: 'issued by mistake' });
      await post('/v1/invoices', { id: `j2-${run}`, customerId: customers.jpy, lines: [{ description: 'Review', unitAmount: '5001' }] });
      await post(`/v1/invoices/j2-${run}/issue`, { issuedAt: '2021-02-20T00:00:00Z' });

      const second = relay();
      await second.start();
      expect(second.checkpoint).toBe(beforeManualInvoice);
      await second.waitForCheckpoint(lastPosition(), WAIT_MS);

      // Every finance event of the log reaches the topics, some of them twice.
      const log = await api.runtime.eventStore.readAll({ maxCount: 10_000 });
      const financeIds = new Set(log.filter((event) => isFinanceStream(event.streamId)).map((event) => event.id));
      const resent = log
        .filter((event) => event.position > beforeManualInvoice && event.position <= firstHead && isFinanceStream(event.streamId))
        .map((event) => event.id);
      expect(resent.length).toBeGreaterThan(0);
      const describeMissing = () => {
        const seen = countBy(raw.messages.map((message) => message.id));
        const short = log.filter((event) => financeIds.has(event.id) && (seen.get(event.id) ?? 0) < (resent.includes(event.id) ? 2 : 1));
        return `messages on the topics; short: ${short.map((event) => `${event.type}@${event.position} ${event.streamId} ${seen.get(event.id) ?? 0}`).join(', ')}`;
      };
      await waitUntil(() => raw.messages.length >= financeIds.size + resent.length, describeMissing);
      const copies = countBy(raw.messages.map((message) => message.id));
      expect(new Set(copies.keys())).toEqual(financeIds);
      for (const id of resent) expect([id, copies.get(id)]).toEqual([id, 2]);

      // The consumer has applied every event and committed past every copy, repeats included.
      await waitUntil(async () => (await processedIds(glSql, [...financeIds])).size === financeIds.size, () => 'events applied');
      await waitUntil(() => committedPast(admin, groupId, raw.messages), () => 'offsets committed');
      expect(journal.counts.repeat).toBeGreaterThanOrEqual(resent.length);

      // The ledger's own journal, once the projector has caught up.
      await get(`/v1/reports/trial-balance?asOf=2021-12-31&currency=CHF`);
      const ledgerLines = await api.runtime.sql.query<LineRow>(
        `select entry_id as event_id, position as line_number, effective_day as day, account, currency, debit::text as debit, credit::text as credit
           from read_models.journal_entries`,
      );
      const consumerLines = await glSql.query<LineRow>(
        `select event_id, line_number, to_char(entry_date, 'YYYY-MM-DD') as day, account, currency, debit::text as debit, credit::text as credit
           from ${FINANCE_SCHEMA}.journal_lines where customer_id = any($1)`,
        [Object.values(customers)],
      );
      expect(ledgerLines.rows.length).toBeGreaterThan(20);
      expect(normalized(consumerLines.rows)).toEqual(normalized(ledgerLines.rows));
    }, 360_000);

    it('exports the daily summary as CSV equal to the ledger’s journal by day, and the trial balances agree with the API', async () => {
      for (const currency of ['CHF', 'JPY']) {
        const from = '2021-01-01';
        const to = '2021-12-31';
        let csv = '';
        const check = await exportGeneralLedger(glSql, { from, to, currency }, (chunk) => (csv += chunk));
        expect(check.ok).toBe(true);
        expect(check.unbalancedDays).toEqual([]);
        const expected = await api.runtime.sql.query<GlSummaryRow>(
          `select effective_day as date, account, currency, sum(debit)::text as debit, sum(credit)::text as credit
             from read_models.journal_entries where currency = $1 and effective_day between $2 and $3
            group by effective_day, currency, account order by effective_day, currency, account`,
          [currency, from, to],
        );
        const rows = expected.rows.map((row) => ({ ...row, debit: Money.of(row.debit, currency).toString(), credit: Money.of(row.credit, currency).toString() }));
        expect(rows.length).toBeGreaterThan(3);
        expect(csv).toBe(toCsv(GL_SUMMARY_COLUMNS, rows));

        // The API's trial balance also recognizes revenue by service day; this journal keeps it
        // all in deferred revenue (docs/finance-consumer.md), so the two add up the same.
        for (const asOf of ['2021-01-11', '2021-01-31', '2021-02-05', '2021-02-28', '2021-03-31']) {
          const fromApi = await get(`/v1/reports/trial-balance?asOf=${asOf}&currency=${currency}`);
          const fromJournal = await journalTrialBalance(glSql, asOf, currency);
          expect(fromJournal.balanced).toBe(true);
          expect([asOf, netByAccount(fromJournal.accounts, currency)]).toEqual([asOf, netByAccount(fromApi.accounts, currency, { foldRevenue: true })]);
        }
      }
    });
  });
});

interface LineRow {
  event_id: string;
  line_number: number;
  day: string;
  account: string;
  currency: string;
  debit: string;
  credit: string;
}

function normalized(rows: readonly LineRow[]): string[] {
  return rows
    .map((row) => {
      const money = (amount: string) => Money.of(amount, row.currency).toString();
      return [row.event_id, row.line_number, row.day, row.account, row.currency, money(row.debit), money(row.credit)].join(' ');
    })
    .sort();
}

/** Each account's balance (debit − credit); with `foldRevenue`, revenue is counted into deferred revenue. */
function netByAccount(accounts: readonly { account: string; debit: string; credit: string }[], currency: string, options = { foldRevenue: false }): Record<string, string> {
  const net: Record<string, Money> = {};
  for (const { account, debit, credit } of accounts) {
    const into = options.foldRevenue && account === 'revenue' ? 'deferred_revenue' : account;
    net[into] = (net[into] ?? Money.zero(currency)).plus(Money.of(debit, currency)).minus(Money.of(credit, currency));
  }
  net.revenue = options.foldRevenue ? Money.zero(currency) : (net.revenue ?? Money.zero(currency));
  return Object.fromEntries(Object.entries(net).map(([account, amount]) => [account, amount.toString()]));
}

function isFinanceStream(streamId: string): boolean {
  return ['invoice', 'credit-note', 'sequence', 'payment'].includes(streamKindOf(streamId));
}

async function processedIds(sql: PgSqlClient, ids: string[]): Promise<Set<string>> {
  const result = await sql.query<{ event_id: string }>(`select event_id from ${FINANCE_SCHEMA}.processed_events where event_id = any($1)`, [ids]);
  return new Set(result.rows.map((row) => row.event_id));
}

/** True once the group's committed offset is past every given message, in its partition. */
async function committedPast(admin: Admin, groupId: string, messages: readonly RawMessage[]): Promise<boolean> {
  const committed = await admin.fetchOffsets({ groupId, topics: TOPICS });
  const next = new Map<string, bigint>();
  for (const topic of committed) for (const partition of topic.partitions) next.set(`${topic.topic}/${partition.partition}`, BigInt(partition.offset));
  return messages.every((message) => (next.get(`${message.topic}/${message.partition}`) ?? -1n) > message.offset);
}

async function ensureTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = TOPICS.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true }).catch((error: Error) => {
    // Another suite created it meanwhile.
    if (!/already exists/i.test(error.message)) throw error;
  });
}

async function startGroupAtTopicEnds(admin: Admin, groupId: string): Promise<void> {
  for (const topic of TOPICS) {
    // Right after a topic is created its partitions may still be electing leaders.
    const ends = await retried(() => admin.fetchTopicOffsets(topic));
    await admin.setOffsets({ groupId, topic, partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })) });
  }
}

async function retried<T>(attempt: () => Promise<T>, attempts = 40): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

interface RawMessage {
  topic: string;
  partition: number;
  offset: bigint;
  id: string;
}

/** A plain kafkajs consumer that keeps the ids of the run's messages, repeats included. */
class RawCollector {
  readonly messages: RawMessage[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly keys: ReadonlySet<string>,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    this.consumer = testKafka('accrual-finance-test-raw').consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: TOPICS, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (!this.keys.has(message.key?.toString() ?? '')) return;
        const envelope = JSON.parse(message.value?.toString() ?? '{}') as { id: string };
        this.messages.push({ topic, partition, offset: BigInt(message.offset), id: envelope.id });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, describe: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
