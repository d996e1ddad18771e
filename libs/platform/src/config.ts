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
  /** Largest request body accepted, in bytes (`ACCRUAL_MAX_BODY_BYTES`). */
  bodyLimitBytes: number;
  kafkaTopicPartitions: number;
  /** Per API key token bucket; null: no rate limit (the default). */
  rateLimit: RateLimitConfig | null;
  /** pino level of the request log (`ACCRUAL_LOG_LEVEL`). */
  logLevel: LogLevel;
  /** Wraps the customers' data keys (`ACCRUAL_MASTER_KEY`, docs/compliance.md); unset: stored unwrapped. */
  masterKey?: string;
}

/** Requests per second a key may sustain, and how many it may send at once (the bucket's size). */
export interface RateLimitConfig {
  perSecond: number;
  burst: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
    bodyLimitBytes: positiveNumber('ACCRUAL_MAX_BODY_BYTES', env.ACCRUAL_MAX_BODY_BYTES ?? '1048576', { integer: true }),
    kafkaTopicPartitions: Number(env.ACCRUAL_KAFKA_PARTITIONS ?? 6),
    rateLimit: parseRateLimit(env.ACCRUAL_RATE_LIMIT_PER_SECOND, env.ACCRUAL_RATE_LIMIT_BURST),
    logLevel: parseLogLevel(env.ACCRUAL_LOG_LEVEL ?? 'info'),
    masterKey: env.ACCRUAL_MASTER_KEY || undefined,
  };
}

/** Off unless `ACCRUAL_RATE_LIMIT_PER_SECOND` is set; the burst defaults to one second's worth (at least 1). */
function parseRateLimit(perSecondText: string | undefined, burstText: string | undefined): RateLimitConfig | null {
  if (!perSecondText || perSecondText === '0' || perSecondText === 'off') {
    if (burstText) throw new ConfigError('ACCRUAL_RATE_LIMIT_BURST needs ACCRUAL_RATE_LIMIT_PER_SECOND');
    return null;
  }
  const perSecond = positiveNumber('ACCRUAL_RATE_LIMIT_PER_SECOND', perSecondText, { integer: false });
  const burst = burstText ? positiveNumber('ACCRUAL_RATE_LIMIT_BURST', burstText, { integer: true }) : Math.max(1, Math.ceil(perSecond));
  return { perSecond, burst };
}

function parseLogLevel(text: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) throw new ConfigError(`ACCRUAL_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${text}`);
  return text as LogLevel;
}

function positiveNumber(name: string, text: string, options: { integer: boolean }): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0) || (options.integer && !Number.isSafeInteger(value))) {
    throw new ConfigError(`${name} must be a positive ${options.integer ? 'whole ' : ''}number, not ${text}`);
  }
  return value;
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
