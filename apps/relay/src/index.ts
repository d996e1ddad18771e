export { KafkaRelay } from './kafka-relay';
export type { KafkaRelayOptions, RelayStatus } from './kafka-relay';
export { CONTRACT_TOPICS, TOPIC_BY_STREAM_KIND, UnknownStreamKindError, keyFor, topicFor } from './topics';
export type { ContractTopic } from './topics';
export { DEFAULT_CLOUD_EVENT_SOURCE, cloudEventHeaders, cloudEventType, toCloudEvent } from './cloud-event';
export type { CloudEvent } from './cloud-event';
export { jsonLineLog, silentLog } from './relay-log';
export type { RelayLog, RelayLogLevel } from './relay-log';
