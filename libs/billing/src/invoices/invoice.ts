import Big from 'big.js';
import { parseDecimal, parseQuantity } from '@accrual/money';
import { UNIT_AMOUNT_DECIMALS } from '../catalog/price';
import { DomainEvent } from '../shared/decider';
import { ConflictError, FieldError, InvalidInputError, NotFoundError, RuleViolationError } from '../shared/errors';
import { addDays, formatDate, formatInstant, Instant, parseInstant } from '../time/instant';
import { InvoiceLine, InvoiceLineDraft, InvoiceTotals, numberLines, roundLineAmount, totalsOf } from './invoice-lines';
import { parseQuantityField } from '../usage/quantity';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface InvoiceCreatedData extends InvoiceTotals {
  id: string;
  customerId: string;
  currency: string;
  /** `billing_run` invoices are issued by the run that made them; `manual` ones start as drafts. */
  source: 'billing_run' | 'manual';
  /** The billing run's `asOf`, for invoices a run made. */
  billingRunAsOf: string | null;
  subscriptionIds: string[];
  lines: InvoiceLine[];
  memo: string | null;
}

export interface InvoiceIssuedData {
  id: string;
  customerId: string;
  number: string;
  issuedAt: string;
  /** `YYYY-MM-DD`: the UTC day of `issuedAt` plus the customer's payment terms. */
  dueDate: string;
  /** Customer credit applied at issue (zero until payments and credit notes exist). */
  creditApplied: string;
  amountDue: string;
}

export type InvoiceCreated = DomainEvent<'InvoiceCreated', InvoiceCreatedData>;
export type InvoiceIssued = DomainEvent<'InvoiceIssued', InvoiceIssuedData>;
export type InvoiceEvent = InvoiceCreated | InvoiceIssued;

export interface InvoiceView extends InvoiceCreatedData {
  status: InvoiceStatus;
  number: string | null;
  issuedAt: string | null;
  dueDate: string | null;
  amountPaid: string;
  amountCredited: string;
  amountDue: string;
}

export type InvoiceState = { status: 'none' } | InvoiceView;

export const invoiceDecider = {
  initialState: (): InvoiceState => ({ status: 'none' }),
  evolve(state: InvoiceState, event: InvoiceEvent): InvoiceState {
    switch (event.type) {
      case 'InvoiceCreated':
        return {
          ...event.data,
          status: 'draft',
          number: null,
          issuedAt: null,
          dueDate: null,
          amountPaid: zeroIn(event.data.currency),
          amountCredited: zeroIn(event.data.currency),
          amountDue: event.data.total,
        };
      case 'InvoiceIssued':
        if (state.status === 'none') return state;
        return {
          ...state,
          status: isZero(event.data.amountDue) ? 'paid' : 'open',
          number: event.data.number,
          issuedAt: event.data.issuedAt,
          dueDate: event.data.dueDate,
          amountCredited: event.data.creditApplied,
          amountDue: event.data.amountDue,
        };
      default:
        return state;
    }
  },
};

function zeroIn(currency: string): string {
  return roundLineAmount(parseDecimal('0', { maxDecimalPlaces: 0, allowNegative: false }), currency);
}

function isZero(amount: string): boolean {
  return parseDecimal(amount, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: true }).eq('0');
}

// ---- Draft one-off invoices ----------------------------------------------------------------

export interface CreateDraftInvoice {
  id: string;
  customerId: string;
  customerCurrency: string;
  lines: unknown;
  memo?: unknown;
}

export const MAX_INVOICE_LINES = 500;

export function createDraftInvoice(command: CreateDraftInvoice, state: InvoiceState): InvoiceEvent[] {
  if (state.status !== 'none') throw new ConflictError('invoice-exists', `invoice ${command.id} already exists`);
  const errors: FieldError[] = [];
  const drafts = draftLines(errors, command.lines, command.customerCurrency);
  if (command.memo != null && (typeof command.memo !== 'string' || command.memo.length > 2000)) {
    errors.push({ field: 'memo', message: 'must be a string of at most 2000 characters' });
  }
  if (errors.length > 0) throw new InvalidInputError(errors);
  const event = invoiceCreated({
    id: command.id,
    customerId: command.customerId,
    currency: command.customerCurrency,
    source: 'manual',
    billingRunAsOf: null,
    subscriptionIds: [],
    drafts,
    memo: (command.memo as string | undefined) ?? null,
  });
  if (parseDecimal(event.data.total, { maxDecimalPlaces: 12, allowNegative: true }).lt('0')) {
    throw new RuleViolationError('negative-invoice-total', 'an invoice total cannot be negative; issue a credit note instead');
  }
  return [event];
}

export interface InvoiceSource {
  id: string;
  customerId: string;
  currency: string;
  source: InvoiceCreatedData['source'];
  billingRunAsOf: string | null;
  subscriptionIds: string[];
  drafts: readonly InvoiceLineDraft[];
  memo: string | null;
}

export function invoiceCreated(source: InvoiceSource): InvoiceCreated {
  const lines = numberLines(source.id, source.drafts, source.currency);
  const { drafts: _drafts, ...rest } = source;
  return { type: 'InvoiceCreated', data: { ...rest, lines, ...totalsOf(lines, source.currency) } };
}

function draftLines(errors: FieldError[], value: unknown, currency: string): InvoiceLineDraft[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_INVOICE_LINES) {
    errors.push({ field: 'lines', message: `must be a list of 1 to ${MAX_INVOICE_LINES} lines` });
    return [];
  }
  return value.map((raw: Record<string, unknown>, index) => {
    const field = `lines[${index}]`;
    const description = raw?.description;
    if (typeof description !== 'string' || description.length === 0 || description.length > 500) {
      errors.push({ field: `${field}.description`, message: 'must be a non-empty string of at most 500 characters' });
    }
    const quantity = parseQuantityField(errors, `${field}.quantity`, raw?.quantity ?? '1') ?? '1';
    const unitAmount = unitAmountField(errors, `${field}.unitAmount`, raw?.unitAmount);
    const periodStart = optionalInstant(errors, `${field}.periodStart`, raw?.periodStart);
    const periodEnd = optionalInstant(errors, `${field}.periodEnd`, raw?.periodEnd);
    if ((periodStart === null) !== (periodEnd === null)) {
      errors.push({ field: `${field}.periodEnd`, message: 'periodStart and periodEnd go together' });
    } else if (periodStart !== null && periodEnd !== null && periodEnd <= periodStart) {
      errors.push({ field: `${field}.periodEnd`, message: 'must be after periodStart' });
    }
    const amount = unitAmount ? roundLineAmount(parseQuantity(quantity).times(unitAmount), currency) : '0';
    return {
      description: String(description),
      priceId: typeof raw?.priceId === 'string' ? raw.priceId : null,
      quantity,
      unitAmount: unitAmount ? unitAmount.toFixed() : null,
      amount,
      periodStart: periodStart === null ? null : formatInstant(periodStart),
      periodEnd: periodEnd === null ? null : formatInstant(periodEnd),
      proration: false,
    };
  });
}

function unitAmountField(errors: FieldError[], field: string, value: unknown): Big | null {
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be a decimal string, e.g. "12.50"' });
    return null;
  }
  try {
    return parseDecimal(value, { maxDecimalPlaces: UNIT_AMOUNT_DECIMALS, allowNegative: true });
  } catch (error) {
    errors.push({ field, message: (error as Error).message });
    return null;
  }
}

function optionalInstant(errors: FieldError[], field: string, value: unknown): Instant | null {
  if (value === undefined || value === null) return null;
  try {
    return parseInstant(field, value);
  } catch (error) {
    errors.push(...(error as InvalidInputError).errors);
    return null;
  }
}

// ---- Issuing -------------------------------------------------------------------------------

export interface IssueInvoice {
  id: string;
  issuedAt: Instant;
  /** The number the gapless sequence assigned to this invoice. */
  number: string;
  paymentTermsDays: number;
}

export function issueInvoice(command: IssueInvoice, state: InvoiceState): InvoiceEvent[] {
  if (state.status === 'none') throw new NotFoundError('invoice', command.id);
  if (state.status !== 'draft') {
    throw new ConflictError('invoice-not-draft', `invoice ${command.id} is ${state.status}; only a draft can be issued`);
  }
  return [
    {
      type: 'InvoiceIssued',
      data: {
        id: command.id,
        customerId: state.customerId,
        number: command.number,
        issuedAt: formatInstant(command.issuedAt),
        dueDate: formatDate(addDays(command.issuedAt, command.paymentTermsDays)),
        creditApplied: zeroIn(state.currency),
        amountDue: state.total,
      },
    },
  ];
}
