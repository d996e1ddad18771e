import { RecordedEvent } from '@accrual/event-store';
import { cloudEventHeaders, toCloudEvent } from './cloud-event';
import { ContractTopic, keyFor, topicFor } from './topics';

/** One event, ready for Kafka, still knowing its log position (for the checkpoint). */
export interface RelayMessage {
  topic: ContractTopic;
  key: string;
  value: string;
  headers: Record<string, string>;
  position: bigint;
}

/** The shape of kafkajs's `sendBatch({ topicMessages })`, without depending on kafkajs here. */
export interface TopicMessages {
  topic: string;
  messages: Array<{ key: string; value: string; headers: Record<string, string> }>;
}

export function toRelayMessage(event: RecordedEvent, source: string): RelayMessage {
  const envelope = toCloudEvent(event, source);
  return {
    topic: topicFor(event.streamId),
    key: keyFor(event),
    value: JSON.stringify(envelope),
    headers: cloudEventHeaders(envelope),
    position: event.position,
  };
}

/** Bytes a message weighs on the wire, near enough to keep a request under the broker's limit. */
export function messageBytes(message: RelayMessage): number {
  let bytes = Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/**
 * Cuts messages (in log order) into consecutive chunks of at most `maxBytes` each, so that no
 * request outgrows the broker's size limit; a message bigger than that travels alone. Each
 * chunk is a contiguous run of the log, so its last position is a valid checkpoint once the
 * broker has acknowledged it.
 */
export function chunkByBytes(messages: readonly RelayMessage[], maxBytes: number): RelayMessage[][] {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  const chunks: RelayMessage[][] = [];
  let current: RelayMessage[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (current.length > 0 && currentBytes + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Groups a chunk by topic for one `sendBatch`, keeping log order inside each topic: kafkajs
 * sends a partition's messages in the order given, so one key's events keep their log order.
 * `topicPrefix` goes before each topic's name (KafkaRelayOptions.topicPrefix).
 */
export function topicMessagesOf(chunk: readonly RelayMessage[], topicPrefix = ''): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, key, value, headers } of chunk) {
    let entry = byTopic.get(topic);
    if (entry === undefined) {
      entry = { topic: `${topicPrefix}${topic}`, messages: [] };
      byTopic.set(topic, entry);
    }
    entry.messages.push({ key, value, headers });
  }
  return [...byTopic.values()];
}

/** Exponential backoff, doubling from `initialMs` per consecutive failure, capped at `maxMs`. */
export function retryDelayMs(consecutiveFailures: number, backoff: { initialMs: number; maxMs: number }): number {
  const exponent = Math.max(0, Math.min(consecutiveFailures - 1, 30));
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
}
