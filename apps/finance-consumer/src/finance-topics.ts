/**
 * The contract topics a finance consumer reads (CONTRACT §7). Credit notes travel on the invoices
 * topic, keyed by the same customer, so they stay in order with the invoice they credit.
 */
export const FINANCE_TOPICS = {
  invoices: 'accrual.invoices.v1',
  payments: 'accrual.payments.v1',
} as const;

export type FinanceTopic = (typeof FINANCE_TOPICS)[keyof typeof FINANCE_TOPICS];

/** The consumer group a deployment uses unless `FINANCE_CONSUMER_GROUP_ID` says otherwise. */
export const DEFAULT_FINANCE_CONSUMER_GROUP_ID = 'accrual-finance-consumer';
