import {
  AccrualEvent,
  billingRunInvoiceId,
  createCustomer,
  createPrice,
  createSubscription,
  InvoiceNumberAssignedData,
  invoiceDecider,
  InvoiceView,
  PriceDefinition,
  streams,
} from '@accrual/billing';
import { CommandContext, loadStream, toNewEvents } from '@accrual/platform';
import { openTestPostgres, TestDatabase } from '../../../../../test/support/postgres';
import { describeWithPostgres } from '../../../../../test/support/suites';
import { startTestApi, testConfig, TestApi } from '../../../../../test/support/api-app';
import { BILLING_PAGE_SIZE, BillingRunService } from './billing-run.service';
import { testCommandContext } from '../../../../../test/support/command-context';

/**
 * A run over several pages, whose invoices are created and issued in stages a page apart
 * (docs/benchmarks.md, billing run round 4): every customer gets one invoice, the numbers have no
 * gap and follow the customers' order, and a second run at the same `asOf` bills nothing again.
 */
describeWithPostgres('billing runs over several pages', () => {
  const AS_OF = '2026-05-01T00:00:00Z';
  // Two full pages and part of a third.
  const CUSTOMERS = 2 * BILLING_PAGE_SIZE + 100;
  // A customer of the second page holds a manual draft under the id the run derives for it: the careful path.
  const CAREFUL = 700;
  let api: TestApi;
  let database: TestDatabase;
  const context = testCommandContext;
  const customerId = (index: number) => `pages-${index.toString().padStart(4, '0')}`;
  const subscriptionId = (index: number) => `${customerId(index)}-s`;

  beforeAll(async () => {
    const opened = await openTestPostgres('accrual_e2e_run_pages');
    await opened.sql.close();
    database = opened.database;
    api = await startTestApi(testConfig({ databaseUrl: database.url }));
    // The log as the API would write it, appended through the port (thousands of HTTP requests would only be slower).
    const store = api.runtime.eventStore;
    const setUp = context();
    const priceEvents = createPrice(
      { id: 'pages-seat', product: 'Seat', currency: 'USD', recurring: { interval: 'month', usage: 'licensed' }, model: 'per_unit', unitAmount: '10.00' },
      { status: 'none' },
    );
    await store.append(streams.price('pages-seat'), toNewEvents(priceEvents, setUp), { expectedRevision: 'no_stream' });
    const prices = new Map<string, PriceDefinition>([['pages-seat', priceEvents[0].data]]);
    const appendAll = async (writes: Array<{ streamId: string; events: AccrualEvent[] }>) => {
      for (let first = 0; first < writes.length; first += 8) {
        await Promise.all(
          writes.slice(first, first + 8).map(({ streamId, events }) => store.append(streamId, toNewEvents(events, setUp), { expectedRevision: 'no_stream' })),
        );
      }
    };
    const indexes = Array.from({ length: CUSTOMERS }, (_unused, index) => index);
    await appendAll(
      indexes.map((index) => ({
        streamId: streams.customer(customerId(index)),
        events: createCustomer({ id: customerId(index), personal: { clear: { name: `Customer ${index}`, email: `c${index}@example.test`, address: null } }, currency: 'USD', country: 'US' }, { status: 'none' }),
      })),
    );
    await appendAll(
      indexes.map((index) => ({
        streamId: streams.subscription(subscriptionId(index)),
        events: createSubscription(
          { id: subscriptionId(index), customerId: customerId(index), startDate: AS_OF, items: [{ priceId: 'pages-seat', quantity: String((index % 3) + 1) }] },
          { status: 'none' },
          { customerCurrency: 'USD', prices, wallClockNow: setUp.receivedAtMs },
        ),
      })),
    );
    const careful = await api.request('POST', '/v1/invoices', {
      body: {
        id: billingRunInvoiceId(customerId(CAREFUL), 'USD', AS_OF, [subscriptionId(CAREFUL)]),
        customerId: customerId(CAREFUL),
        lines: [{ description: 'Manual', unitAmount: '1.00' }],
      },
    });
    expect(careful.status).toBe(201);
    expect(await api.runtime.projector?.waitFor(await store.headPosition(), 60_000)).toBe(true);
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('bills every customer once, numbers without a gap in the customers’ order, and nothing twice on a second run', async () => {
    const service = api.app.get(BillingRunService);
    // Counts the assignments the run reads back from the number sequence: the issuer knows the ones it appended.
    const store = api.runtime.eventStore as unknown as Record<string, unknown>;
    const readStream = api.runtime.eventStore.readStream.bind(api.runtime.eventStore);
    let sequenceEventsRead = 0;
    store.readStream = async (...args: Parameters<typeof readStream>) => {
      const events = await readStream(...args);
      if (args[0] === streams.invoiceNumbers()) sequenceEventsRead += events.length;
      return events;
    };
    const first = await service.run(Date.parse(AS_OF), context()).finally(() => delete store.readStream);
    expect(first.invoiceIds).toHaveLength(CUSTOMERS);
    expect(sequenceEventsRead).toBe(0);

    const assigned = (await api.runtime.eventStore.readStream(streams.invoiceNumbers())).map((event) => event.data as unknown as InvoiceNumberAssignedData);
    expect(assigned.map((assignment) => assignment.sequence)).toEqual(assigned.map((_assignment, index) => assigned[0].sequence + index));
    expect(new Set(assigned.map((assignment) => assignment.invoiceId))).toEqual(new Set(first.invoiceIds));
    // Pages are issued in order; within a page the careful path's invoice goes first, then the
    // drafts in the customers' order.
    const customerOf = new Map(assigned.map((assignment) => [assignment.invoiceId, assignment.customerId]));
    const order = assigned.map((assignment) => customerOf.get(assignment.invoiceId) as string);
    const carefulCustomer = customerId(CAREFUL);
    const expected = Array.from({ length: CUSTOMERS }, (_unused, index) => customerId(index)).filter((id) => id !== carefulCustomer);
    expected.splice(BILLING_PAGE_SIZE, 0, carefulCustomer);
    expect(order).toEqual(expected);

    const carefulInvoice = await loadStream(api.runtime.eventStore, streams.invoice(billingRunInvoiceId(carefulCustomer, 'USD', AS_OF, [subscriptionId(CAREFUL)])), invoiceDecider);
    // The manual invoice was issued as it was, not overwritten by the run's lines.
    expect(carefulInvoice.state).toMatchObject({ status: 'open', source: 'manual', total: '1.00' });
    const sample = await loadStream(api.runtime.eventStore, streams.invoice(assigned[assigned.length - 1].invoiceId), invoiceDecider);
    expect(sample.state).toMatchObject({ status: 'open', customerId: customerId(CUSTOMERS - 1), total: `${((CUSTOMERS - 1) % 3) + 1}0.00` });
    expect((sample.state as InvoiceView).lines).toHaveLength(1);

    const billed = await Promise.all(
      [0, BILLING_PAGE_SIZE - 1, BILLING_PAGE_SIZE, CAREFUL, CUSTOMERS - 1].map(async (index) =>
        (await api.runtime.eventStore.readStream(streams.subscription(subscriptionId(index)))).filter((event) => event.type === 'SubscriptionBilled').length,
      ),
    );
    expect(billed).toEqual([1, 1, 1, 1, 1]);

    // The run answers its position; once the read models have it, nothing is due at the same asOf.
    expect(await api.runtime.projector?.waitFor(first.position as bigint, 60_000)).toBe(true);
    const second = await service.run(Date.parse(AS_OF), context());
    expect(second.invoiceIds).toEqual([]);
    expect((await api.runtime.eventStore.readStream(streams.invoiceNumbers())).length).toBe(assigned.length);
  });
});
