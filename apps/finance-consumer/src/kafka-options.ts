import { KafkaOptions, Transport } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';

export interface FinanceConsumerKafkaSettings {
  brokers: string[];
  /** The consumer group: one per finance system; instances of one system share it. */
  groupId: string;
  clientId?: string;
  /** Default `logLevel.WARN`. */
  kafkaLogLevel?: logLevel;
}

/**
 * Nest's Kafka transport, set up for a ledger consumer:
 * - `postfixId: ''`: Nest would otherwise append `-server` to the client and group ids, and the
 *   group an operator looks up would not be the one configured;
 * - `autoCommit: false`: offsets are committed by the handler, after the journal transaction;
 * - `fromBeginning: true`: a new group starts at the oldest message the topic still holds;
 * - `allowAutoTopicCreation: false`: the relay creates the topics (with the partitions chosen for them).
 */
export function financeConsumerKafkaOptions(settings: FinanceConsumerKafkaSettings): KafkaOptions {
  if (settings.brokers.length === 0) throw new RangeError('financeConsumerKafkaOptions: brokers must not be empty');
  return {
    transport: Transport.KAFKA,
    options: {
      postfixId: '',
      client: {
        clientId: settings.clientId ?? settings.groupId,
        brokers: settings.brokers,
        logLevel: settings.kafkaLogLevel ?? logLevel.WARN,
      },
      consumer: { groupId: settings.groupId, allowAutoTopicCreation: false },
      subscribe: { fromBeginning: true },
      run: { autoCommit: false },
    },
  };
}
