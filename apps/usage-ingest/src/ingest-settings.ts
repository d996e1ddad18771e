/** The ingest's environment, beside the contract's (CONTRACT §1: `KAFKA_BROKERS` turns Kafka on). */
export interface IngestSettings {
  /** `ACCRUAL_KAFKA_INGEST=off` keeps `npm start` from consuming usage while it still relays. */
  enabled: boolean;
  /** `ACCRUAL_KAFKA_INGEST_ACTOR`: the actor on the events it records. Default `kafka-ingest`. */
  actor: string;
  /** `ACCRUAL_KAFKA_INGEST_GROUP`: the consumer group. Default `accrual-usage-ingest`. */
  groupId: string;
}

export function loadIngestSettings(env: NodeJS.ProcessEnv = process.env): IngestSettings {
  return {
    enabled: (env.ACCRUAL_KAFKA_INGEST ?? 'on') !== 'off',
    actor: env.ACCRUAL_KAFKA_INGEST_ACTOR || 'kafka-ingest',
    groupId: env.ACCRUAL_KAFKA_INGEST_GROUP || 'accrual-usage-ingest',
  };
}
