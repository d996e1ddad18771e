import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { Runtime, RUNTIME } from '@accrual/platform';
import { AuditHttpController } from './audit/audit.http.controller';
import { BillingRunsHttpController } from './billing-runs/billing-runs.http.controller';
import { BillingRunService } from './billing-runs/run-billing/billing-run.service';
import { RunBillingHandler } from './billing-runs/run-billing/run-billing.command';
import { CatalogHttpController } from './catalog/catalog.http.controller';
import { CreateCouponHandler } from './catalog/create-coupon/create-coupon.command';
import { CreatePriceHandler } from './catalog/create-price/create-price.command';
import { CreateTaxRateHandler } from './catalog/create-tax-rate/create-tax-rate.command';
import { DefineMeterHandler } from './catalog/define-meter/define-meter.command';
import { CreditNotesHttpController } from './credit-notes/credit-notes.http.controller';
import { IssueCreditNoteHandler } from './credit-notes/issue-credit-note/issue-credit-note.command';
import { CreateCustomerHandler } from './customers/create-customer/create-customer.command';
import { EraseCustomerHandler } from './customers/erase-customer/erase-customer.command';
import { CustomersHttpController } from './customers/customers.http.controller';
import { CustomerUsageHttpController } from './customers/customer-usage/customer-usage.http.controller';
import { ReportsHttpController } from './reports/reports.http.controller';
import { LedgerReportsHttpController } from './reports/ledger-reports.http.controller';
import { AuthGuard } from './http/auth.guard';
import { CardDataGuard } from './http/card-data.guard';
import { CommandResponseInterceptor } from './http/command-response.interceptor';
import { ProblemFilter } from './http/problem.filter';
import { ReadYourWritesInterceptor } from './http/read-your-writes.interceptor';
import { createValidationPipe } from './http/validation';
import { CreateInvoiceHandler } from './invoices/create-invoice/create-invoice.command';
import { InvoicesHttpController } from './invoices/invoices.http.controller';
import { InvoiceIssuer } from './invoices/issue-invoice/invoice-issuer';
import { InvoiceNumberSequence } from './invoices/issue-invoice/invoice-number-sequence';
import { IssueInvoiceHandler } from './invoices/issue-invoice/issue-invoice.command';
import { MarkUncollectibleHandler } from './invoices/mark-uncollectible/mark-uncollectible.command';
import { VoidInvoiceHandler } from './invoices/void-invoice/void-invoice.command';
import { Metrics } from './operations/metrics';
import { OperationsHttpController } from './operations/operations.http.controller';
import { CustomerCreditLedger } from './payments/customer-credit/customer-credit-ledger';
import { PaymentsHttpController } from './payments/payments.http.controller';
import { PaymentProcess } from './payments/receive-payment/payment-process';
import { ReceivePaymentHandler } from './payments/receive-payment/receive-payment.command';
import { RefundPaymentHandler } from './payments/refund-payment/refund-payment.command';
import { CreateSubscriptionHandler } from './subscriptions/create-subscription/create-subscription.command';
import { CancelSubscriptionHandler } from './subscriptions/cancel-subscription/cancel-subscription.command';
import { ChangeSubscriptionHandler } from './subscriptions/change-subscription/change-subscription.command';
import { PauseSubscriptionHandler } from './subscriptions/pause-subscription/pause-subscription.command';
import { ResumeSubscriptionHandler } from './subscriptions/resume-subscription/resume-subscription.command';
import { SubscriptionsHttpController } from './subscriptions/subscriptions.http.controller';
import { RecordUsageHandler } from './usage/record-usage/record-usage.command';
import { UsageHttpController } from './usage/usage.http.controller';

export const controllers = [
  OperationsHttpController,
  CustomersHttpController,
  CustomerUsageHttpController,
  ReportsHttpController,
  LedgerReportsHttpController,
  CatalogHttpController,
  SubscriptionsHttpController,
  UsageHttpController,
  BillingRunsHttpController,
  InvoicesHttpController,
  PaymentsHttpController,
  CreditNotesHttpController,
  AuditHttpController,
];

export const commandHandlers = [
  CreateCustomerHandler,
  EraseCustomerHandler,
  DefineMeterHandler,
  CreatePriceHandler,
  CreateCouponHandler,
  CreateTaxRateHandler,
  CreateSubscriptionHandler,
  ChangeSubscriptionHandler,
  CancelSubscriptionHandler,
  PauseSubscriptionHandler,
  ResumeSubscriptionHandler,
  RecordUsageHandler,
  RunBillingHandler,
  CreateInvoiceHandler,
  IssueInvoiceHandler,
  VoidInvoiceHandler,
  MarkUncollectibleHandler,
  ReceivePaymentHandler,
  RefundPaymentHandler,
  IssueCreditNoteHandler,
];

export const services = [InvoiceNumberSequence, InvoiceIssuer, BillingRunService, Metrics, CustomerCreditLedger, PaymentProcess];

/** The HTTP API: commands append to the log, queries read the read models. */
@Module({})
export class ApiModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return {
      module: ApiModule,
      imports: [CqrsModule.forRoot()],
      controllers,
      providers: [
        { provide: RUNTIME, useValue: runtime },
        ...commandHandlers,
        ...services,
        { provide: APP_GUARD, useClass: AuthGuard },
        // After authentication (401/403 first), before anything stores the body.
        { provide: APP_GUARD, useClass: CardDataGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: CommandResponseInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
      ],
      exports: [BillingRunService],
    };
  }
}
