import { DynamicModule, Module } from '@nestjs/common';
import { SqlClient } from '@accrual/database';
import { FinanceEventsController } from './finance-events.controller';
import { FinanceJournal } from './finance-journal';

const controllers = [FinanceEventsController];

/** The consumer's Nest module: the Kafka handlers and the journal on the consumer's own database. */
@Module({})
export class FinanceConsumerModule {
  static register(options: { sql: SqlClient }): DynamicModule {
    return {
      module: FinanceConsumerModule,
      controllers,
      providers: [{ provide: FinanceJournal, useValue: new FinanceJournal(options.sql) }],
      exports: [FinanceJournal],
    };
  }
}
