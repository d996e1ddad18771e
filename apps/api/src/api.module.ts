import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { Runtime, RUNTIME } from '@accrual/platform';
import { BillingRunsHttpController } from './billing-runs/billing-runs.http.controller';
import { BillingRunService } from './billing-runs/run-billing/billing-run.service';
import { RunBillingHandler } from './billing-runs/run-billing/run-billing.command';
import { CatalogHttpController } from './catalog/catalog.http.controller';
import { CreatePriceHandler } from './catalog/create-price/create-price.command';
import { DefineMeterHandler } from './catalog/define-meter/define-meter.command';
import { CreateCustomerHandler } from './customers/create-customer/create-customer.command';
import { CustomersHttpController } from './customers/customers.http.controller';
import { AuthGuard } from './http/auth.guard';
import { CommandResponseInterceptor } from './http/command-response.interceptor';
import { ProblemFilter } from './http/problem.filter';
import { ReadYourWritesInterceptor } from './http/read-your-writes.interceptor';
import { createValidationPipe } from './http/validation';
import { CreateInvoiceHandler } from './invoices/create-invoice/create-invoice.command';
import { InvoicesHttpController } from './invoices/invoices.http.controller';
import { InvoiceIssuer } from './invoices/issue-invoice/invoice-issuer';
import { InvoiceNumberSequence } from './invoices/issue-invoice/invoice-number-sequence';
import { IssueInvoiceHandler } from './invoices/issue-invoice/issue-invoice.command';
import { Metrics } from './operations/metrics';
import { MetricsInterceptor } from './operations/metrics.interceptor';
import { OperationsHttpController } from './operations/operations.http.controller';
import { CreateSubscriptionHandler } from './subscriptions/create-subscription/create-subscription.command';
import { SubscriptionsHttpController } from './subscriptions/subscriptions.http.controller';
import { RecordUsageHandler } from './usage/record-usage/record-usage.command';
import { UsageHttpController } from './usage/usage.http.controller';

export const controllers = [
  OperationsHttpController,
  CustomersHttpController,
  CatalogHttpController,
  SubscriptionsHttpController,
  UsageHttpController,
  BillingRunsHttpController,
  InvoicesHttpController,
];

export const commandHandlers = [
  CreateCustomerHandler,
  DefineMeterHandler,
  CreatePriceHandler,
  CreateSubscriptionHandler,
  RecordUsageHandler,
  RunBillingHandler,
  CreateInvoiceHandler,
  IssueInvoiceHandler,
];

export const services = [InvoiceNumberSequence, InvoiceIssuer, BillingRunService, Metrics];

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
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
        { provide: APP_INTERCEPTOR, useClass: CommandResponseInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
      ],
      exports: [BillingRunService],
    };
  }
}
