import { NotFoundError } from '../shared/errors';
import { given } from '../testing/decider-spec';
import { customerCreated } from '../payments/testing/settlement-fixtures';
import { customerDecider, CustomerEvent, CustomerState } from './customer';
import {
  applyCustomerCredit,
  creditAppliedTo,
  creditBalance,
  CustomerCredit,
  CustomerCreditApplied,
  CustomerCreditGranted,
  CustomerCreditRevoked,
  grantCustomerCredit,
  revokeCustomerCredit,
} from './customer-credit';

const granted = (sourceId: string, amount: string, source: CustomerCreditGranted['data']['source'] = 'payment'): CustomerCreditGranted => ({
  type: 'CustomerCreditGranted',
  data: { customerId: 'cus_1', currency: 'USD', source, sourceId, amount },
});
const applied = (invoiceId: string, amount: string): CustomerCreditApplied => ({
  type: 'CustomerCreditApplied',
  data: { customerId: 'cus_1', currency: 'USD', invoiceId, amount },
});
const revoked = (refundId: string, amount: string): CustomerCreditRevoked => ({
  type: 'CustomerCreditRevoked',
  data: { customerId: 'cus_1', currency: 'USD', source: 'refund', sourceId: refundId, paymentId: 'pay_1', amount },
});

/** Runs a credit decision against the customer's credit, as the ledger does. */
const onCredit = (decide: (credit: CustomerCredit) => CustomerEvent[]) => (state: CustomerState) => {
  if (state.status === 'none') throw new NotFoundError('customer', 'cus_1');
  return decide(state.credit);
};
const balanceAfter = (state: CustomerState, currency = 'USD') => (state.status === 'none' ? null : creditBalance(state.credit, currency).toString());
const grant = (sourceId: string, amount: string, source: CustomerCreditGranted['data']['source'] = 'payment') =>
  onCredit((credit) => grantCustomerCredit({ customerId: 'cus_1', currency: 'USD', source, sourceId, amount }, credit));
const apply = (invoiceId: string, amountDue: string) =>
  onCredit((credit) => applyCustomerCredit({ customerId: 'cus_1', currency: 'USD', invoiceId, amountDue }, credit));
const revoke = (refundId: string, amount: string) =>
  onCredit((credit) => revokeCustomerCredit({ customerId: 'cus_1', currency: 'USD', refundId, paymentId: 'pay_1', amount }, credit));

describe('customer credit', () => {
  it('starts at zero in every currency', () => {
    const state = given(customerDecider, [customerCreated]).state;
    expect(balanceAfter(state)).toBe('0.00');
    expect(balanceAfter(state, 'JPY')).toBe('0');
  });

  describe('grantCustomerCredit', () => {
    it('adds to the balance of its currency, naming its source', () => {
      const state = given(customerDecider, [customerCreated]).when(grant('pay_1', '25.5')).then([granted('pay_1', '25.50')]);
      expect(balanceAfter(state)).toBe('25.50');
      expect(balanceAfter(given(customerDecider, [customerCreated, granted('pay_1', '25.50'), granted('cn_1', '4.50', 'credit_note')]).state)).toBe(
        '30.00',
      );
    });

    it('decides nothing for a source granted already (a retried step), or for zero', () => {
      given(customerDecider, [customerCreated, granted('pay_1', '25.50')]).when(grant('pay_1', '25.50')).then([]);
      given(customerDecider, [customerCreated]).when(grant('pay_1', '0.00')).then([]);
    });

    it('grants a negative invoice total once, and a later invoice spends it', () => {
      const state = given(customerDecider, [customerCreated])
        .when(grant('inv_credit', '21.61', 'invoice'))
        .then([granted('inv_credit', '21.61', 'invoice')]);
      expect(balanceAfter(state)).toBe('21.61');
      given(customerDecider, [customerCreated, granted('inv_credit', '21.61', 'invoice')]).when(grant('inv_credit', '21.61', 'invoice')).then([]);
      const after = given(customerDecider, [customerCreated, granted('inv_credit', '21.61', 'invoice')])
        .when(apply('inv_next', '30.00'))
        .then([applied('inv_next', '21.61')]);
      expect(balanceAfter(after)).toBe('0.00');
    });

    it('keeps sources apart: the same id from a credit note is another grant', () => {
      given(customerDecider, [customerCreated, granted('x_1', '1.00')]).when(grant('x_1', '2.00', 'credit_note')).then([granted('x_1', '2.00', 'credit_note')]);
    });
  });

  describe('applyCustomerCredit', () => {
    it('applies the whole balance when the invoice owes more', () => {
      const state = given(customerDecider, [customerCreated, granted('pay_1', '30.00')]).when(apply('inv_1', '100.00')).then([applied('inv_1', '30.00')]);
      expect(balanceAfter(state)).toBe('0.00');
    });

    it('applies only the amount due when the balance is larger', () => {
      const state = given(customerDecider, [customerCreated, granted('pay_1', '30.00')]).when(apply('inv_1', '12.34')).then([applied('inv_1', '12.34')]);
      expect(balanceAfter(state)).toBe('17.66');
      if (state.status === 'active') expect(creditAppliedTo(state.credit, 'inv_1', 'USD')).toBe('12.34');
    });

    it('decides nothing with no balance, for a free invoice, or for an invoice credited already', () => {
      given(customerDecider, [customerCreated]).when(apply('inv_1', '100.00')).then([]);
      given(customerDecider, [customerCreated, granted('pay_1', '30.00')]).when(apply('inv_1', '0.00')).then([]);
      given(customerDecider, [customerCreated, granted('pay_1', '30.00'), applied('inv_1', '10.00')]).when(apply('inv_1', '100.00')).then([]);
    });

    it('answers zero for an invoice that received no credit', () => {
      const state = given(customerDecider, [customerCreated]).state;
      if (state.status === 'active') expect(creditAppliedTo(state.credit, 'inv_9', 'USD')).toBe('0.00');
    });
  });

  describe('revokeCustomerCredit', () => {
    it('takes back what the refund asks', () => {
      const state = given(customerDecider, [customerCreated, granted('pay_1', '30.00')]).when(revoke('pay_1-refund-1', '20.00')).then([revoked('pay_1-refund-1', '20.00')]);
      expect(balanceAfter(state)).toBe('10.00');
    });

    it('takes back no more than the balance (the rest was spent meanwhile), never below zero', () => {
      const history = [customerCreated, granted('pay_1', '30.00'), applied('inv_1', '25.00')];
      given(customerDecider, history).when(revoke('pay_1-refund-1', '30.00')).then([revoked('pay_1-refund-1', '5.00')]);
      given(customerDecider, [...history, applied('inv_2', '5.00')]).when(revoke('pay_1-refund-1', '30.00')).then([]);
    });

    it('decides nothing for a refund revoked already', () => {
      given(customerDecider, [customerCreated, granted('pay_1', '30.00'), revoked('pay_1-refund-1', '5.00')]).when(revoke('pay_1-refund-1', '5.00')).then([]);
    });
  });

  it('credit events before the customer exists change nothing', () => {
    expect(given(customerDecider, [granted('pay_1', '1.00')]).state).toEqual({ status: 'none' });
  });
});
