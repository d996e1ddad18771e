import { ConflictError, customerDecider, invoiceDecider, NotFoundError, streams } from '@accrual/billing';
import { CommandContext, loadStream } from '@accrual/platform';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../../test/support/api-app';
import { InvoiceIssuer } from './invoice-issuer';
import { testCommandContext } from '../../../../../test/support/command-context';

/**
 * Many single issues at once in one API process: the ones that arrive while an issue is written
 * form the next group, numbered in one append; each is answered on its own (200 with its own
 * number, or its own refusal), the numbers are gapless, and the sequence holds one assignment per
 * invoice (no number spent twice, none left without its invoice).
 */
describeWithPostgres('issuing invoices concurrently in one process', () => {
  let api: TestApi;
  let database: TestDatabase;
  const INVOICES = 24;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_issue_turns');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    const created = await api.request('POST', '/v1/customers', { body: { id: 'turns', name: 'Turns', email: 'turns@example.test', currency: 'USD', country: 'US' } });
    expect(created.status).toBe(201);
    for (let index = 0; index < INVOICES; index += 1) {
      const draft = await api.request('POST', '/v1/invoices', { body: { id: `turns-${index}`, customerId: 'turns', lines: [{ description: 'Work', unitAmount: '10.00' }] } });
      expect(draft.status).toBe(201);
    }
  });

  const context = testCommandContext;
  const draft = async (id: string) => {
    const created = await api.request('POST', '/v1/invoices', { body: { id, customerId: 'turns', lines: [{ description: 'Work', unitAmount: '10.00' }] } });
    expect(created.status).toBe(201);
  };
  const assignedIds = async () => (await api.runtime.eventStore.readStream(streams.invoiceNumbers())).map((event) => (event.data as { invoiceId: string }).invoiceId);
  const numberAt = (count: number) => `INV-${String(count).padStart(6, '0')}`;
  const refusal = (settled: PromiseSettledResult<unknown>) => {
    expect(settled.status).toBe('rejected');
    return (settled as PromiseRejectedResult).reason as Error & { code?: string };
  };

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('answers every issue with its own number, gapless, one assignment each', async () => {
    const issuedAt = '2026-03-01T00:00:00Z';
    const answers = await Promise.all(
      Array.from({ length: INVOICES }, (_unused, index) => api.request('POST', `/v1/invoices/turns-${index}/issue`, { body: { issuedAt } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const numbers = answers.map((answer) => answer.body.number as string).sort();
    expect(numbers).toEqual(Array.from({ length: INVOICES }, (_unused, index) => `INV-${String(index + 1).padStart(6, '0')}`));
    const assignments = await api.runtime.eventStore.readStream(streams.invoiceNumbers());
    expect(assignments.map((event) => (event.data as { invoiceId: string }).invoiceId).sort()).toEqual(answers.map((answer) => answer.body.id as string).sort());
    expect(assignments.map((event) => (event.data as { number: string }).number)).toEqual(numbers);
  });

  it('goes on after a refused issue: the next ones in turn are issued', async () => {
    const issuedAt = '2026-03-02T00:00:00Z';
    await api.request('POST', '/v1/invoices', { body: { id: 'turns-late', customerId: 'turns', lines: [{ description: 'Work', unitAmount: '10.00' }] } });
    const [missing, issuedAgain, late] = await Promise.all([
      api.request('POST', '/v1/invoices/turns-missing/issue', { body: { issuedAt } }),
      api.request('POST', '/v1/invoices/turns-1/issue', { body: { issuedAt } }),
      api.request('POST', '/v1/invoices/turns-late/issue', { body: { issuedAt } }),
    ]);
    expect([missing.status, issuedAgain.status]).toEqual([404, 409]);
    expect([late.status, late.body.number]).toEqual([200, `INV-${String(INVOICES + 1).padStart(6, '0')}`]);
  });

  it('answers each issue of a group on its own: refusals spend no number and stop none of the others', async () => {
    for (const id of ['group-1', 'group-2', 'group-3', 'group-4']) await draft(id);
    const before = (await assignedIds()).length;
    const issuer = api.app.get(InvoiceIssuer);
    const issuedAt = Date.parse('2026-03-03T00:00:00Z');
    const contexts = Array.from({ length: 6 }, context);
    // The first issue is written at once; the five made meanwhile wait for it and form one group.
    const settled = await Promise.allSettled([
      issuer.issue('group-1', issuedAt, contexts[0]),
      issuer.issue('group-missing', issuedAt, contexts[1]),
      issuer.issue('group-2', issuedAt, contexts[2]),
      issuer.issue('turns-0', issuedAt, contexts[3]),
      issuer.issue('group-3', issuedAt, contexts[4]),
      issuer.issue('group-4', Date.parse('2026-03-04T00:00:00Z'), contexts[5]),
    ]);

    expect(refusal(settled[1])).toBeInstanceOf(NotFoundError);
    expect(refusal(settled[3])).toBeInstanceOf(ConflictError);
    expect(refusal(settled[3]).code).toBe('invoice-not-draft');
    const issued = [0, 2, 4, 5].map((index) => {
      expect(settled[index].status).toBe('fulfilled');
      return (settled[index] as PromiseFulfilledResult<Awaited<ReturnType<InvoiceIssuer['issue']>>>).value;
    });
    expect(issued.map((one) => [one.invoice.id, one.invoice.number, one.invoice.status])).toEqual([
      ['group-1', numberAt(before + 1), 'open'],
      ['group-2', numberAt(before + 2), 'open'],
      ['group-3', numberAt(before + 3), 'open'],
      ['group-4', numberAt(before + 4), 'open'],
    ]);
    expect(issued[3].invoice.issuedAt).toBe('2026-03-04T00:00:00Z');
    expect((await assignedIds()).slice(before)).toEqual(['group-1', 'group-2', 'group-3', 'group-4']);
    // Each answers with its own last event's position, and its events carry its own request's ids.
    for (const [index, one] of issued.entries()) {
      const events = await api.runtime.eventStore.readStream(streams.invoice(one.invoice.id));
      const last = events[events.length - 1];
      expect([last.type, one.position, last.metadata.requestId]).toEqual(['InvoiceIssued', last.position, contexts[[0, 2, 4, 5][index]].requestId]);
    }
  });

  it('answers a repeat of an issue in the same group as that issue: the same issuedAt as issued, another 409', async () => {
    for (const id of ['repeat-0', 'repeat-1']) await draft(id);
    const before = (await assignedIds()).length;
    const issuer = api.app.get(InvoiceIssuer);
    const issuedAt = Date.parse('2026-03-05T00:00:00Z');
    const settled = await Promise.allSettled([
      issuer.issue('repeat-0', issuedAt, context()),
      issuer.issue('repeat-1', issuedAt, context()),
      issuer.issue('repeat-1', issuedAt, context()),
      issuer.issue('repeat-1', Date.parse('2026-03-06T00:00:00Z'), context()),
    ]);

    const [first, repeated] = [settled[1], settled[2]].map((one) => {
      expect(one.status).toBe('fulfilled');
      return (one as PromiseFulfilledResult<Awaited<ReturnType<InvoiceIssuer['issue']>>>).value;
    });
    expect(first.invoice.number).toBe(numberAt(before + 2));
    expect(repeated).toEqual(first);
    expect(refusal(settled[3]).code).toBe('invoice-not-draft');
    expect((await assignedIds()).slice(before)).toEqual(['repeat-0', 'repeat-1']);
    const stored = await loadStream(api.runtime.eventStore, streams.invoice('repeat-1'), invoiceDecider);
    expect([stored.lastPosition, stored.revision]).toEqual([first.position, 1n]);
    // Later, alone, the same repeat still finds it as the head's last number.
    const again = await api.request('POST', '/v1/invoices/repeat-1/issue', { body: { issuedAt: '2026-03-05T00:00:00Z' } });
    expect([again.status, again.body.number, again.headers.get('x-log-position')]).toEqual([200, first.invoice.number, String(first.position)]);
  });

  it('answers a burst of HTTP issues each with its own status, body and X-Log-Position', async () => {
    for (const id of ['burst-1', 'burst-2', 'burst-3']) await draft(id);
    const before = (await assignedIds()).length;
    const issue = (id: string, issuedAt: string) => api.request('POST', `/v1/invoices/${id}/issue`, { body: { issuedAt } });
    const answers = await Promise.all([
      issue('burst-1', '2026-03-07T00:00:00Z'),
      issue('burst-missing', '2026-03-07T00:00:00Z'),
      issue('burst-2', '2026-03-07T00:00:00Z'),
      issue('burst-3', '2999-01-01T00:00:00Z'),
      issue('turns-2', '2026-03-07T00:00:00Z'),
      issue('burst-3', '2026-03-07T00:00:00Z'),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([200, 404, 200, 400, 409, 200]);
    expect(answers[4].body.code ?? answers[4].body.type).toMatch(/invoice-not-draft/);
    const issued = [answers[0], answers[2], answers[5]];
    expect(issued.map((answer) => answer.body.number).sort()).toEqual([numberAt(before + 1), numberAt(before + 2), numberAt(before + 3)]);
    expect((await assignedIds()).slice(before).sort()).toEqual(['burst-1', 'burst-2', 'burst-3']);
    for (const answer of issued) {
      const stored = await loadStream(api.runtime.eventStore, streams.invoice(answer.body.id as string), invoiceDecider);
      expect([answer.body.number, answer.headers.get('x-log-position')]).toEqual([stored.state.status === 'none' ? null : stored.state.number, String(stored.lastPosition)]);
    }
  });

  it('applies a customer’s credit to the issues of one group one after another, as far as it goes', async () => {
    const customer = await api.request('POST', '/v1/customers', { body: { id: 'credited', name: 'Credited', email: 'credited@example.test', currency: 'USD', country: 'US' } });
    expect(customer.status).toBe(201);
    const lines = [{ description: 'Work', unitAmount: '30.00' }];
    for (const id of ['credit-0', 'credit-1', 'credit-2']) {
      expect((await api.request('POST', '/v1/invoices', { body: { id, customerId: 'credited', lines } })).status).toBe(201);
    }
    expect((await api.request('POST', '/v1/invoices/credit-0/issue', { body: { issuedAt: '2026-03-08T00:00:00Z' } })).status).toBe(200);
    // 70.00 on an invoice of 30.00: 40.00 of customer credit.
    const paid = await api.request('POST', '/v1/payments', {
      body: { customerId: 'credited', invoiceId: 'credit-0', amount: '70.00', currency: 'USD', receivedAt: '2026-03-09T00:00:00Z', method: 'bank_transfer' },
    });
    expect(paid.body.creditAmount).toBe('40.00');
    const issuer = api.app.get(InvoiceIssuer);
    const issuedAt = Date.parse('2026-03-10T00:00:00Z');
    const [, first, second] = await Promise.all([
      issuer.issue('turns-missing', issuedAt, context()).catch((error: unknown) => error),
      issuer.issue('credit-1', issuedAt, context()),
      issuer.issue('credit-2', issuedAt, context()),
    ]);

    expect([first, second].map((one) => [(one as Awaited<ReturnType<InvoiceIssuer['issue']>>).invoice.creditApplied, (one as Awaited<ReturnType<InvoiceIssuer['issue']>>).invoice.amountDue])).toEqual([
      ['30.00', '0.00'],
      ['10.00', '20.00'],
    ]);
    const credited = await loadStream(api.runtime.eventStore, streams.customer('credited'), customerDecider);
    expect(credited.state.status === 'active' && credited.state.credit.balances.USD).toBe('0.00');
  });
});
