import { DomainError, ConflictError, InvalidInputError, RuleViolationError } from '../shared/errors';
import { fieldsOf, given } from '../testing/decider-spec';
import { at } from '../testing/fixtures';
import {
  CreateDraftInvoice,
  createDraftInvoice,
  creditGrantedAtIssue,
  InvoiceCreated,
  invoiceCreated,
  invoiceDecider,
  InvoiceIssued,
  IssueInvoice,
  issueInvoice,
  MAX_INVOICE_LINES,
} from './invoice';

const command: CreateDraftInvoice = {
  id: 'inv_1',
  customerId: 'cus_1',
  customerCurrency: 'USD',
  lines: [{ description: 'Consulting', quantity: 3, unitAmount: '0.333333333333' }],
};

const created: InvoiceCreated = {
  type: 'InvoiceCreated',
  data: {
    id: 'inv_1',
    customerId: 'cus_1',
    currency: 'USD',
    source: 'manual',
    billingRunAsOf: null,
    subscriptionIds: [],
    memo: null,
    lines: [
      {
        id: 'inv_1-1',
        description: 'Consulting',
        priceId: null,
        quantity: '3',
        unitAmount: '0.333333333333',
        // 3 × 0.333333333333 = 0.999999999999 at full precision, then half-up to cents.
        amount: '1.00',
        periodStart: null,
        periodEnd: null,
        proration: false,
        discountAmount: '0.00',
        taxAmount: '0.00',
      },
    ],
    subtotal: '1.00',
    discountTotal: '0.00',
    taxTotal: '0.00',
    total: '1.00',
    taxRate: null,
  },
};

const issue: IssueInvoice = { id: 'inv_1', issuedAt: at('2026-03-10T23:59:59Z'), number: 'INV-000001', paymentTermsDays: 30 };

const issued: InvoiceIssued = {
  type: 'InvoiceIssued',
  data: {
    id: 'inv_1',
    customerId: 'cus_1',
    number: 'INV-000001',
    issuedAt: '2026-03-10T23:59:59Z',
    dueDate: '2026-04-09',
    creditApplied: '0.00',
    amountDue: '1.00',
  },
};

const draft = (overrides: Partial<CreateDraftInvoice>) =>
  given(invoiceDecider).when((state) => createDraftInvoice({ ...command, ...overrides }, state));

const amountsOf = (overrides: Partial<CreateDraftInvoice>) => {
  const [event] = draft(overrides).events() as InvoiceCreated[];
  return { lines: event.data.lines.map((line) => line.amount), total: event.data.total };
};

describe('createDraftInvoice', () => {
  it('creates a draft with numbered lines, each rounded half-up, and its totals', () => {
    const state = draft({}).then([created]);
    expect(state).toEqual({
      ...created.data,
      status: 'draft',
      number: null,
      issuedAt: null,
      dueDate: null,
      amountPaid: '0.00',
      amountCredited: '0.00',
      amountDue: '1.00',
      creditApplied: '0.00',
      payments: [],
      creditNotes: [],
      paidAt: null,
      voidedAt: null,
      markedUncollectibleAt: null,
      statusReason: null,
    });
  });

  it('keeps the optional fields of a line, and the memo', () => {
    const [event] = draft({
      memo: 'Thanks!',
      lines: [
        {
          description: 'Support, January',
          quantity: '1.5',
          unitAmount: '100',
          priceId: 'price_support',
          periodStart: '2026-01-01T00:00:00Z',
          periodEnd: '2026-02-01T01:00:00+01:00',
        },
      ],
    }).events() as InvoiceCreated[];
    expect(event.data.memo).toBe('Thanks!');
    expect(event.data.lines[0]).toMatchObject({
      priceId: 'price_support',
      quantity: '1.5',
      unitAmount: '100',
      amount: '150.00',
      periodStart: '2026-01-01T00:00:00Z',
      periodEnd: '2026-02-01T00:00:00Z',
    });
  });

  it('defaults a line quantity to 1', () => {
    expect(draft({ lines: [{ description: 'Setup', unitAmount: '99.99' }] }).events()[0].data).toMatchObject({ total: '99.99' });
  });

  it('rounds line by line, not the total: two lines of 0.005 are 0.01 each, 0.02 in all', () => {
    expect(
      amountsOf({
        lines: [
          { description: 'a', unitAmount: '0.005' },
          { description: 'b', unitAmount: '0.005' },
        ],
      }),
    ).toEqual({ lines: ['0.01', '0.01'], total: '0.02' });
  });

  it('rounds half-up to the currency’s minor unit: JPY 0, USD 2, KWD 3 digits', () => {
    expect(amountsOf({ customerCurrency: 'JPY', lines: [{ description: 'a', quantity: '1.5', unitAmount: '0.5' }] })).toEqual({
      lines: ['1'],
      total: '1',
    });
    expect(amountsOf({ lines: [{ description: 'a', unitAmount: '0.125' }] })).toEqual({ lines: ['0.13'], total: '0.13' });
    expect(amountsOf({ lines: [{ description: 'a', unitAmount: '0.124999999999' }] })).toEqual({ lines: ['0.12'], total: '0.12' });
    expect(amountsOf({ customerCurrency: 'KWD', lines: [{ description: 'a', quantity: 3, unitAmount: '0.0005' }] })).toEqual({
      lines: ['0.002'],
      total: '0.002',
    });
  });

  it('allows negative lines (a discount), rounded half away from zero, while the total stays non-negative', () => {
    expect(
      amountsOf({
        lines: [
          { description: 'Service', unitAmount: '10.00' },
          { description: 'Goodwill', unitAmount: '-0.125' },
        ],
      }),
    ).toEqual({ lines: ['10.00', '-0.13'], total: '9.87' });
  });

  it('refuses a negative total: negative-invoice-total', () => {
    draft({ lines: [{ description: 'Refund', unitAmount: '-1' }] }).thenThrows(RuleViolationError, 'negative-invoice-total');
    draft({
      lines: [
        { description: 'Service', unitAmount: '1.00' },
        { description: 'Discount', unitAmount: '-1.01' },
      ],
    }).thenThrows(RuleViolationError, 'negative-invoice-total');
  });

  it('a zero total is fine', () => {
    expect(amountsOf({ lines: [{ description: 'Free', unitAmount: '0' }] })).toEqual({ lines: ['0.00'], total: '0.00' });
  });

  it('refuses an id that exists: ConflictError invoice-exists', () => {
    given(invoiceDecider, [created])
      .when((state) => createDraftInvoice(command, state))
      .thenThrows(ConflictError, 'invoice-exists');
  });

  it.each([
    ['lines', { lines: [] }],
    ['lines', { lines: undefined }],
    ['lines', { lines: Array.from({ length: MAX_INVOICE_LINES + 1 }, () => ({ description: 'x', unitAmount: '1' })) }],
    ['lines[0].description', { lines: [{ description: '', unitAmount: '1' }] }],
    ['lines[0].description', { lines: [{ description: 'x'.repeat(501), unitAmount: '1' }] }],
    ['lines[0].unitAmount', { lines: [{ description: 'x' }] }],
    ['lines[0].unitAmount', { lines: [{ description: 'x', unitAmount: 5 }] }],
    ['lines[0].unitAmount', { lines: [{ description: 'x', unitAmount: '0.0000000000001' }] }],
    ['lines[0].unitAmount', { lines: [{ description: 'x', unitAmount: '1e2' }] }],
    ['lines[0].quantity', { lines: [{ description: 'x', unitAmount: '1', quantity: '-1' }] }],
    ['lines[0].quantity', { lines: [{ description: 'x', unitAmount: '1', quantity: 0.5 }] }],
    ['lines[0].periodEnd', { lines: [{ description: 'x', unitAmount: '1', periodStart: '2026-01-01T00:00:00Z' }] }],
    ['lines[0].periodEnd', { lines: [{ description: 'x', unitAmount: '1', periodEnd: '2026-01-01T00:00:00Z' }] }],
    [
      'lines[0].periodEnd',
      { lines: [{ description: 'x', unitAmount: '1', periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-01-01T00:00:00Z' }] },
    ],
    ['memo', { memo: 'x'.repeat(2001) }],
    ['memo', { memo: 42 }],
  ])('blames %s', (field, overrides) => {
    expect([...new Set(fieldsOf(draft(overrides).thenThrows(InvalidInputError)))]).toEqual([field]);
  });

  it('names the line at fault', () => {
    const error = draft({
      lines: [
        { description: 'ok', unitAmount: '1' },
        { description: 'ok', unitAmount: '1', periodStart: '2026-02-30T00:00:00Z', periodEnd: '2026-03-01T00:00:00Z' },
      ],
    }).thenThrows(InvalidInputError);
    expect(fieldsOf(error)).toContain('lines[1].periodStart');
    expect(fieldsOf(error).every((field) => field.startsWith('lines[1]'))).toBe(true);
  });
});

describe('invoiceCreated (billing runs)', () => {
  it('numbers the lines and totals them', () => {
    const event = invoiceCreated({
      id: 'inv_run',
      customerId: 'cus_1',
      currency: 'EUR',
      source: 'billing_run',
      billingRunAsOf: '2026-02-01T00:00:00Z',
      subscriptionIds: ['sub_1'],
      memo: null,
      drafts: [
        { description: 'Seats', priceId: 'p1', quantity: '2', unitAmount: '10', amount: '20.00', periodStart: null, periodEnd: null, proration: false },
        { description: 'Calls', priceId: 'p2', quantity: '7', unitAmount: null, amount: '0.07', periodStart: null, periodEnd: null, proration: false },
      ],
    });
    expect(event.data.lines.map((line) => line.id)).toEqual(['inv_run-1', 'inv_run-2']);
    expect(event.data).toMatchObject({ source: 'billing_run', subtotal: '20.07', total: '20.07', taxTotal: '0.00', discountTotal: '0.00' });
    expect(event.data).not.toHaveProperty('drafts');
  });
});

describe('issueInvoice', () => {
  it('issues a draft: open, numbered, due on the UTC day of issuedAt plus the payment terms', () => {
    const state = given(invoiceDecider, [created]).when((state) => issueInvoice(issue, state)).then([issued]);
    expect(state).toMatchObject({
      status: 'open',
      number: 'INV-000001',
      issuedAt: '2026-03-10T23:59:59Z',
      dueDate: '2026-04-09',
      amountDue: '1.00',
      amountPaid: '0.00',
      amountCredited: '0.00',
    });
  });

  it('counts the due date from the UTC day, whatever the offset issuedAt was given in', () => {
    const [event] = given(invoiceDecider, [created])
      .when((state) => issueInvoice({ ...issue, issuedAt: at('2026-03-10T23:30:00-02:00'), paymentTermsDays: 0 }, state))
      .events() as InvoiceIssued[];
    expect(event.data).toMatchObject({ issuedAt: '2026-03-11T01:30:00Z', dueDate: '2026-03-11' });
  });

  it('due dates cross month ends and leap days by calendar days', () => {
    const dueDate = (issuedAt: string, paymentTermsDays: number) =>
      (given(invoiceDecider, [created]).when((state) => issueInvoice({ ...issue, issuedAt: at(issuedAt), paymentTermsDays }, state)).events()[0] as InvoiceIssued)
        .data.dueDate;
    expect(dueDate('2028-02-15T12:00:00Z', 14)).toBe('2028-02-29');
    expect(dueDate('2026-02-15T12:00:00Z', 14)).toBe('2026-03-01');
    expect(dueDate('2026-12-31T00:00:00Z', 365)).toBe('2027-12-31');
  });

  it('a zero total issues as paid', () => {
    const free: InvoiceCreated = {
      ...created,
      data: {
        ...created.data,
        lines: [{ ...created.data.lines[0], quantity: '1', unitAmount: '0', amount: '0.00' }],
        subtotal: '0.00',
        total: '0.00',
      },
    };
    const state = given(invoiceDecider, [free]).when((state) => issueInvoice(issue, state)).thenState();
    expect(state).toMatchObject({ status: 'paid', amountDue: '0.00', number: 'INV-000001' });
  });

  describe('a negative total (a billing run whose proration credit exceeds its charges)', () => {
    const credit: InvoiceCreated = {
      ...created,
      data: {
        ...created.data,
        source: 'billing_run',
        billingRunAsOf: '2026-02-01T00:00:00Z',
        lines: [
          { ...created.data.lines[0], description: 'Pro (prorated)', quantity: '1', unitAmount: '100.00', amount: '-51.61', proration: true },
          { ...created.data.lines[0], id: 'inv_1-2', description: 'Basic', quantity: '1', unitAmount: '30.00', amount: '30.00' },
        ],
        subtotal: '-21.61',
        total: '-21.61',
      },
    };

    it('issues it paid, amount due zero, its total unchanged; the negated total is the credit it grants', () => {
      const state = given(invoiceDecider, [credit]).when((state) => issueInvoice(issue, state)).thenState();
      expect(state).toMatchObject({ status: 'paid', total: '-21.61', amountDue: '0.00', creditApplied: '0.00', paidAt: '2026-03-10T23:59:59Z' });
      expect(creditGrantedAtIssue(credit.data).toString()).toBe('21.61');
    });

    it('takes no customer credit: credit-exceeds-amount-due', () => {
      given(invoiceDecider, [credit])
        .when((state) => issueInvoice({ ...issue, creditApplied: '5.00' }, state))
        .thenThrows(RuleViolationError, 'credit-exceeds-amount-due');
    });

    it('grants nothing for a total of zero or more', () => {
      expect(creditGrantedAtIssue(created.data).toString()).toBe('0.00');
      expect(creditGrantedAtIssue({ ...created.data, total: '0.00' }).toString()).toBe('0.00');
    });
  });

  it('refuses to issue what is not a draft: ConflictError invoice-not-draft', () => {
    given(invoiceDecider, [created, issued])
      .when((state) => issueInvoice({ ...issue, number: 'INV-000002' }, state))
      .thenThrows(ConflictError, 'invoice-not-draft');
  });

  it('refuses to issue an invoice that does not exist', () => {
    given(invoiceDecider)
      .when((state) => issueInvoice(issue, state))
      .thenThrows(DomainError, 'invoice-not-found');
  });
});
