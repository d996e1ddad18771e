import { PgSqlClient } from '@accrual/database';
import { openTestPostgres, TestDatabase } from '../../../test/support/postgres';
import { describeWithPostgres } from '../../../test/support/suites';
import { FinanceJournal, KafkaCoordinates } from './finance-journal';
import { FINANCE_SCHEMA, migrateFinanceSchema } from './finance-schema';

/** The journal's transaction on real Postgres: dedupe by id with the effect, all or nothing. */
describeWithPostgres('FinanceJournal (real Postgres)', () => {
  let sql: PgSqlClient;
  let database: TestDatabase;
  let offset = 0;
  const at = (): KafkaCoordinates => ({ topic: 'accrual.invoices.v1', partition: 0, offset: String((offset += 1)) });

  beforeAll(async () => {
    ({ sql, database } = await openTestPostgres('accrual_finance_journal'));
    await migrateFinanceSchema(sql);
    await migrateFinanceSchema(sql); // idempotent: a restart migrates again
  });

  afterAll(async () => {
    await sql?.close();
    await database?.drop();
  });

  const envelope = (id: string, type: string, data: Record<string, unknown>) => ({
    specversion: '1.0',
    id,
    source: 'urn:accrual:ledger',
    type: `accrual.${type}.v1`,
    subject: `payment-${String(data.paymentId ?? data.id)}`,
    time: '2033-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data,
    accrualstream: 'payment-x',
    accrualposition: '7',
    accrualrevision: '0',
    accrualactor: 'test',
  });
  const refund = (paymentId: string, amount: string) => ({
    paymentId,
    customerId: 'cus_j',
    refundId: `${paymentId}-refund-1`,
    amount,
    currency: 'USD',
    at: '2033-01-05T12:00:00Z',
    reason: 'test',
    creditToRevoke: '0.00',
  });
  const linesOf = async (eventId: string) =>
    (await sql.query(`select line_number, account, debit::text, credit::text from ${FINANCE_SCHEMA}.journal_lines where event_id = $1 order by line_number`, [eventId])).rows;

  it('applies an event once: the repeat finds its id and writes nothing', async () => {
    const message = envelope('evt-refund-1', 'PaymentRefunded', refund('pay_j1', '12.00'));
    expect(await new FinanceJournal(sql).apply(message, at())).toBe('posted');
    const journal = new FinanceJournal(sql);
    expect(await journal.apply(JSON.stringify(message), at())).toBe('repeat');
    expect(journal.counts).toMatchObject({ repeat: 1, posted: 0 });
    expect(await linesOf('evt-refund-1')).toEqual([
      { line_number: 0, account: 'accounts_receivable', debit: '12.00', credit: '0.00' },
      { line_number: 1, account: 'cash', debit: '0.00', credit: '12.00' },
    ]);
    const processed = await sql.query(`select outcome, topic, kafka_offset::text as kafka_offset from ${FINANCE_SCHEMA}.processed_events where event_id = $1`, ['evt-refund-1']);
    expect(processed.rows).toEqual([{ outcome: 'posted', topic: 'accrual.invoices.v1', kafka_offset: '1' }]);
  });

  it('a failure while applying leaves neither the id nor any line, so the redelivery applies it', async () => {
    const message = envelope('evt-refund-2', 'PaymentRefunded', refund('pay_j2', '3.00'));
    const failing = new FinanceJournal(failingOn(sql, /insert into finance_consumer\.journal_lines/));
    await expect(failing.apply(message, at())).rejects.toThrow(/injected/);
    const seen = await sql.query(`select 1 from ${FINANCE_SCHEMA}.processed_events where event_id = $1`, ['evt-refund-2']);
    expect(seen.rows).toHaveLength(0);
    expect(await linesOf('evt-refund-2')).toEqual([]);
    expect(await new FinanceJournal(sql).apply(message, at())).toBe('posted');
    expect(await linesOf('evt-refund-2')).toHaveLength(2);
  });

  it('keeps an event whose data cannot be posted aside, without claiming its id', async () => {
    const where = at();
    const journal = new FinanceJournal(sql);
    expect(await journal.apply(envelope('evt-refund-3', 'PaymentRefunded', refund('pay_j3', '1.234')), where)).toBe('rejected');
    const rejected = await sql.query(`select reason from ${FINANCE_SCHEMA}.rejected_messages where kafka_offset = $1`, [where.offset]);
    expect(rejected.rows).toEqual([{ reason: expect.stringMatching(/^event evt-refund-3 \(PaymentRefunded\): .*decimal places/) }]);
    const seen = await sql.query(`select 1 from ${FINANCE_SCHEMA}.processed_events where event_id = $1`, ['evt-refund-3']);
    expect(seen.rows).toHaveLength(0);
  });

  it('keeps a message that is not a CloudEvent of the ledger aside, and moves on', async () => {
    const journal = new FinanceJournal(sql);
    const where = at();
    expect(await journal.apply('not json at all', where)).toBe('rejected');
    const rejected = await sql.query(`select reason, value from ${FINANCE_SCHEMA}.rejected_messages where kafka_offset = $1`, [where.offset]);
    expect(rejected.rows).toEqual([{ reason: 'the message value is not JSON', value: 'not json at all' }]);
  });
});

/** A client whose transactions fail at the first query matching `pattern` (a database going away mid-way). */
function failingOn(sql: PgSqlClient, pattern: RegExp): PgSqlClient {
  const failing = Object.create(sql) as PgSqlClient;
  failing.transaction = (work) =>
    sql.transaction((tx) =>
      work({
        query: (text, params) => (pattern.test(text) ? Promise.reject(new Error('connection lost (injected by the test)')) : tx.query(text, params)),
      }),
    );
  return failing;
}
