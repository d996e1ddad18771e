import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { FinanceJournal } from './finance-journal';
import { FINANCE_TOPICS } from './finance-topics';

/**
 * The Kafka side of the consumer: one handler per topic, each applying the message to the
 * journal and only then committing the offset after it (offset + 1). A crash in between
 * redelivers the message, and the journal drops it by its CloudEvent id. A message that can
 * never be posted (not a CloudEvent of the ledger, data unfit to post) is kept aside in
 * `rejected_messages` and committed past. A handler that throws (database down, a schema version
 * newer than this consumer knows) commits nothing: kafkajs retries the message, so the
 * partition waits rather than skipping money.
 */
@Controller()
export class FinanceEventsController {
  private readonly logger = new Logger(FinanceEventsController.name);

  constructor(@Inject(FinanceJournal) private readonly journal: FinanceJournal) {}

  /** Invoices and credit notes (both keyed by customer on this topic). */
  @EventPattern(FINANCE_TOPICS.invoices)
  onInvoiceEvent(@Payload() value: unknown, @Ctx() context: KafkaContext): Promise<void> {
    return this.applyAndCommit(value, context);
  }

  @EventPattern(FINANCE_TOPICS.payments)
  onPaymentEvent(@Payload() value: unknown, @Ctx() context: KafkaContext): Promise<void> {
    return this.applyAndCommit(value, context);
  }

  private async applyAndCommit(value: unknown, context: KafkaContext): Promise<void> {
    const topic = context.getTopic();
    const partition = context.getPartition();
    const { offset } = context.getMessage();
    const result = await this.journal.apply(value, { topic, partition, offset });
    if (result === 'rejected' || result === 'missing_document') {
      this.logger.warn(`${topic}[${partition}]@${offset}: ${result} (see finance_consumer.${result === 'rejected' ? 'rejected_messages' : 'processed_events'})`);
    }
    await context.getConsumer().commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
  }
}
