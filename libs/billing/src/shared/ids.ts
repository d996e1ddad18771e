import { InvalidInputError } from './errors';

/** Client-chosen ids: the contract's pattern. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function assertValidId(field: string, id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw InvalidInputError.field(field, 'must match ^[A-Za-z0-9_-]{1,64}$');
  }
}

/** Stream names: `<kind>-<id>`, per the contract. */
export const streams = {
  customer: (id: string) => `customer-${id}`,
  subscription: (id: string) => `subscription-${id}`,
  invoice: (id: string) => `invoice-${id}`,
  payment: (id: string) => `payment-${id}`,
  creditNote: (id: string) => `credit-note-${id}`,
  price: (id: string) => `price-${id}`,
  meter: (code: string) => `meter-${code}`,
  coupon: (id: string) => `coupon-${id}`,
  taxRate: (id: string) => `tax-rate-${id}`,
  /** Usage facts of one customer (high volume, appended with expected revision `any`). */
  usage: (customerId: string) => `usage-${customerId}`,
  /** The one gapless invoice-number sequence. */
  invoiceNumbers: () => 'sequence-invoice-numbers',
} as const;

export type StreamKind = keyof typeof streams;

/** The stream kind of a stream id, from its prefix. */
export function streamKindOf(streamId: string): string {
  const match = /^(credit-note|tax-rate|[a-z]+)-/.exec(streamId);
  return match ? match[1] : streamId;
}
