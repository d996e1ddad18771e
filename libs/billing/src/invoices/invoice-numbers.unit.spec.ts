import { assignNextNumber, formatInvoiceNumber } from './invoice-numbers';

describe('invoice numbers', () => {
  it('are INV- and at least six digits', () => {
    expect(formatInvoiceNumber(1)).toBe('INV-000001');
    expect(formatInvoiceNumber(2)).toBe('INV-000002');
    expect(formatInvoiceNumber(999_999)).toBe('INV-999999');
    expect(formatInvoiceNumber(1_000_000)).toBe('INV-1000000');
  });

  it('the first assignment, on an empty sequence (revision -1), is number 1', () => {
    expect(assignNextNumber(-1, { id: 'inv_a', customerId: 'cus_1' }, '2026-02-01T00:00:00Z')).toEqual({
      type: 'InvoiceNumberAssigned',
      data: { invoiceId: 'inv_a', customerId: 'cus_1', sequence: 1, number: 'INV-000001', issuedAt: '2026-02-01T00:00:00Z' },
    });
  });

  it('the n-th event (revision n - 1) carries number n: the next is revision + 2, gapless', () => {
    const numbers = [-1, 0, 1, 2, 3].map((revision) => assignNextNumber(revision, { id: `inv_${revision}`, customerId: 'cus_1' }, '2026-02-01T00:00:00Z'));
    expect(numbers.map((event) => event.data.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(numbers.map((event) => event.data.number)).toEqual(['INV-000001', 'INV-000002', 'INV-000003', 'INV-000004', 'INV-000005']);
    expect(assignNextNumber(41, { id: 'inv_x', customerId: 'cus_2' }, '2026-02-01T00:00:00Z').data.number).toBe('INV-000043');
  });
});
