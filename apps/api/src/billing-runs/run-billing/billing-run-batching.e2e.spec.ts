import { assignNextNumber, InvoiceState, invoiceDecider, streams } from '@accrual/billing';
import { CommandContext, loadStream, toNewEvents } from '@accrual/platform';
import { dueSubscriptionsByCustomer } from '@accrual/read-models';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../../test/support/api-app';
import { InvoiceIssuer } from '../../invoices/issue-invoice/invoice-issuer';
import { testCommandContext } from '../../../../../test/support/command-context';

/**
 * What the billing run's speed-ups must keep (docs/benchmarks.md, billing_run_subs_per_s): pages
 * by customer, so one invoice per customer whatever the page size; numbers assigned in batches,
 * still gapless, in order, and finished after a crash.
 */
describeWithPostgres('billing runs and invoice numbers in batches', () => {
  let api: TestApi;
  let database: TestDatabase;
  const post = (path: string, body: unknown) => api.request('POST', path, { body });
  const context = testCommandContext;
  const invoiceState = async (id: string): Promise<InvoiceState> =>
    (await loadStream(api.runtime.eventStore, streams.invoice(id), invoiceDecider)).state;
  const numberOf = async (id: string): Promise<string | null> => {
    const state = await invoiceState(id);
    return state.status === 'none' ? null : state.number;
  };
  const sequenceNumber = (number: string | null) => Number(number?.slice('INV-'.length));

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_e2e_batching');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('pages due subscriptions by customer and bills each customer on one invoice, numbered in order', async () => {
    const price = { id: 'seat', product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' };
    expect((await post('/v1/prices', price)).status).toBe(201);
    for (const id of ['cus-a', 'cus-b', 'cus-c']) {
      expect((await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', country: 'US' })).status).toBe(201);
    }
    // Subscription ids interleave the customers, so paging by subscription id would split each one.
    const owners: Record<string, string> = { 's-1': 'cus-c', 's-2': 'cus-a', 's-3': 'cus-b', 's-4': 'cus-c', 's-5': 'cus-a', 's-6': 'cus-b' };
    let last = '0';
    for (const [id, customerId] of Object.entries(owners)) {
      const created = await post('/v1/subscriptions', { id, customerId, startDate: '2026-01-01T00:00:00Z', items: [{ priceId: 'seat' }] });
      expect(created.status).toBe(201);
      last = created.headers.get('x-log-position') as string;
    }
    expect(await api.runtime.projector?.waitFor(BigInt(last), 10_000)).toBe(true);

    const pages: string[][] = [];
    for (let after = ''; pages.length < 10; ) {
      const page = await dueSubscriptionsByCustomer(api.runtime.sql, '2026-01-01T00:00:00Z', 1, after);
      if (page.length === 0) break;
      pages.push(page.map((subscription) => `${subscription.customerId}/${subscription.id}`));
      after = page[page.length - 1].customerId;
    }
    expect(pages).toEqual([['cus-a/s-2', 'cus-a/s-5'], ['cus-b/s-3', 'cus-b/s-6'], ['cus-c/s-1', 'cus-c/s-4']]);

    const run = await post('/v1/billing-runs', { asOf: '2026-01-01T00:00:00Z' });
    expect(run.status).toBe(200);
    expect(run.body.invoiceIds).toHaveLength(3);
    const invoices = await Promise.all((run.body.invoiceIds as string[]).map(invoiceState));
    const byCustomer = invoices
      .map((state) => (state.status === 'none' ? null : state))
      .filter((state) => state !== null)
      .sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
    expect(byCustomer.map((invoice) => [invoice.customerId, invoice.status, invoice.lines.length])).toEqual([
      ['cus-a', 'open', 2],
      ['cus-b', 'open', 2],
      ['cus-c', 'open', 2],
    ]);
    const numbers = byCustomer.map((invoice) => sequenceNumber(invoice.number));
    expect(numbers).toEqual([numbers[0], numbers[0] + 1, numbers[0] + 2]);
  });

  it('a page holds only the due subscriptions of its customers, and skips customers with none due', async () => {
    for (const id of ['rng-a', 'rng-b', 'rng-c']) {
      expect((await post('/v1/customers', { id, name: id, email: `${id}@example.test`, currency: 'USD', country: 'US' })).status).toBe(201);
    }
    // Due at 2026-03-01: the ones starting then; not yet due: the ones starting a month later.
    const starts: Record<string, [string, string]> = {
      'r-a1': ['rng-a', '2026-03-01T00:00:00Z'],
      'r-a2': ['rng-a', '2026-04-01T00:00:00Z'],
      'r-b1': ['rng-b', '2026-04-01T00:00:00Z'],
      'r-c1': ['rng-c', '2026-03-01T00:00:00Z'],
      'r-c2': ['rng-c', '2026-03-01T00:00:00Z'],
    };
    let last = '0';
    for (const [id, [customerId, startDate]] of Object.entries(starts)) {
      const created = await post('/v1/subscriptions', { id, customerId, startDate, items: [{ priceId: 'seat' }] });
      expect(created.status).toBe(201);
      last = created.headers.get('x-log-position') as string;
    }
    expect(await api.runtime.projector?.waitFor(BigInt(last), 10_000)).toBe(true);
    const pagesOf = async (customerLimit: number) => {
      const pages: string[][] = [];
      for (let after = 'rng-'; pages.length < 10; ) {
        const page = await dueSubscriptionsByCustomer(api.runtime.sql, '2026-03-01T00:00:00Z', customerLimit, after);
        if (page.length === 0) break;
        pages.push(page.map((subscription) => `${subscription.customerId}/${subscription.id}`));
        after = page[page.length - 1].customerId;
      }
      return pages;
    };

    expect(await pagesOf(1)).toEqual([['rng-a/r-a1'], ['rng-c/r-c1', 'rng-c/r-c2']]);
    // One page spans rng-b, which has a subscription but none due: it is read past, not returned.
    expect(await pagesOf(5)).toEqual([['rng-a/r-a1', 'rng-c/r-c1', 'rng-c/r-c2']]);
  });

  it('numbers drafts consecutively in the given order, and answers an issued invoice as it is', async () => {
    for (const id of ['many-1', 'many-2', 'many-3']) {
      expect((await post('/v1/invoices', { id, customerId: 'cus-a', lines: [{ description: 'Setup', unitAmount: '5.00' }] })).status).toBe(201);
    }
    expect((await post('/v1/invoices/many-2/issue', { issuedAt: '2026-02-01T00:00:00Z' })).status).toBe(200);
    const before = await numberOf('many-2');

    const issued = await api.app.get(InvoiceIssuer).issueMany(['many-3', 'many-2', 'many-1'], Date.parse('2026-02-02T00:00:00Z'), context());

    expect([...issued.keys()].sort()).toEqual(['many-1', 'many-2', 'many-3']);
    expect(await numberOf('many-2')).toBe(before);
    expect(sequenceNumber(await numberOf('many-3'))).toBe(sequenceNumber(before) + 1);
    expect(sequenceNumber(await numberOf('many-1'))).toBe(sequenceNumber(before) + 2);
  });

  it('finishes every assignment of a batch a crashed issuer left, before it assigns the next number', async () => {
    for (const id of ['crash-1', 'crash-2', 'crash-3']) {
      expect((await post('/v1/invoices', { id, customerId: 'cus-b', lines: [{ description: 'Setup', unitAmount: '5.00' }] })).status).toBe(201);
    }
    // What `issueMany` leaves when the process dies right after its one append to the sequence.
    const head = (await api.runtime.eventStore.readStream(streams.invoiceNumbers())).length - 1;
    const assignments = ['crash-1', 'crash-2'].map((id, index) => assignNextNumber(head + index, { id, customerId: 'cus-b' }, '2026-02-03T00:00:00Z'));
    await api.runtime.eventStore.append(
      streams.invoiceNumbers(),
      assignments.flatMap((assignment) => toNewEvents([assignment], context(), `invoice-number:${assignment.data.sequence}:${assignment.data.invoiceId}`)),
      { expectedRevision: BigInt(head) },
    );

    const third = await post('/v1/invoices/crash-3/issue', { issuedAt: '2026-02-03T00:00:00Z' });

    expect(third.status).toBe(200);
    expect(await numberOf('crash-1')).toBe(assignments[0].data.number);
    expect(await numberOf('crash-2')).toBe(assignments[1].data.number);
    expect(sequenceNumber(third.body.number)).toBe(assignments[1].data.sequence + 1);
    expect((await post('/v1/invoices/crash-1/issue', { issuedAt: '2026-02-03T00:00:00Z' })).status).toBe(409);
  });
});
