import { randomBytes } from 'node:crypto';

export type Role = 'admin' | 'operator' | 'ingest' | 'reader' | 'auditor';
export const ROLES: readonly Role[] = ['admin', 'operator', 'ingest', 'reader', 'auditor'];

export interface ApiKey {
  /** The actor recorded on every event the key causes. */
  name: string;
  role: Role;
  secret: string;
}

/** The contract's environment variables (CONTRACT §1), read once at start-up. */
export interface AccrualConfig {
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  eventStore: 'postgres' | 'eventstoredb';
  eventStoreConnectionString: string | undefined;
  kafkaBrokers: string[];
  apiKeys: ApiKey[];
  /** True when no key was configured and one was generated for this run. */
  apiKeyGenerated: boolean;
  scheduler: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  kafkaTopicPartitions: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AccrualConfig {
  const eventStore = env.EVENT_STORE ?? 'postgres';
  if (eventStore !== 'postgres' && eventStore !== 'eventstoredb') {
    throw new ConfigError(`EVENT_STORE must be postgres or eventstoredb, not ${eventStore}`);
  }
  if (eventStore === 'eventstoredb' && !env.EVENTSTORE_CONNECTION_STRING) {
    throw new ConfigError('EVENT_STORE=eventstoredb needs EVENTSTORE_CONNECTION_STRING');
  }
  const parsedKeys = env.ACCRUAL_API_KEYS ? parseApiKeys(env.ACCRUAL_API_KEYS) : null;
  return {
    port: parsePort(env.PORT ?? '3000'),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.ACCRUAL_DATA_DIR || './.accrual',
    eventStore,
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING || undefined,
    kafkaBrokers: (env.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean),
    apiKeys: parsedKeys ?? [{ name: 'dev-admin', role: 'admin', secret: `acc_${randomBytes(24).toString('hex')}` }],
    apiKeyGenerated: parsedKeys === null,
    scheduler: (env.ACCRUAL_SCHEDULER ?? 'on') !== 'off',
    bodyLimitBytes: Number(env.ACCRUAL_BODY_LIMIT_BYTES ?? 1_048_576),
    kafkaTopicPartitions: Number(env.ACCRUAL_KAFKA_PARTITIONS ?? 6),
  };
}

/** `name:role:secret[,…]`; the secret may itself contain colons. */
export function parseApiKeys(text: string): ApiKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, role, ...rest] = entry.split(':');
      const secret = rest.join(':');
      if (!name || !secret || !(ROLES as readonly string[]).includes(role)) {
        throw new ConfigError(`ACCRUAL_API_KEYS entry "${name ?? ''}:…" must be name:role:secret with role one of ${ROLES.join(', ')}`);
      }
      return { name, role: role as Role, secret };
    });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, not ${text}`);
  return port;
}
