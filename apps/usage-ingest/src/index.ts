export { UsageIngest } from './usage-ingest';
export type { UsageIngestCounts, UsageIngestOptions, UsageRecording } from './usage-ingest';
export { DLQ_HEADERS, MESSAGE_ERROR_TYPES, USAGE_INGEST_DLQ_TOPIC, USAGE_INGEST_TOPIC } from './ingest-messages';
export { loadIngestSettings } from './ingest-settings';
export type { IngestSettings } from './ingest-settings';
