import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccrualConfig, closeRuntime, createRuntime, parseApiKeys, Runtime } from '@accrual/platform';
import { ApiAppOptions, createApiApp } from '../../apps/api/src/create-api-app';
import { openTestPostgres } from './postgres';

/** Keys of every role, for tests: `<role>-key` is the secret, the role is the actor's name. */
export const TEST_API_KEYS = parseApiKeys(
  ['admin', 'operator', 'ingest', 'reader', 'auditor'].map((role) => `${role}-actor:${role}:${role}-key`).join(','),
);

export interface TestApi {
  runtime: Runtime;
  app: INestApplication;
  baseUrl: string;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  key?: string | null;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export function testConfig(overrides: Partial<AccrualConfig> = {}): AccrualConfig {
  return {
    port: 0,
    databaseUrl: undefined,
    dataDir: './.accrual-test',
    eventStore: 'postgres',
    eventStoreConnectionString: undefined,
    kafkaBrokers: [],
    apiKeys: TEST_API_KEYS,
    apiKeyGenerated: false,
    scheduler: false,
    bodyLimitBytes: 1_048_576,
    kafkaTopicPartitions: 3,
    rateLimit: null,
    logLevel: 'silent',
    ...overrides,
  };
}

/**
 * The real API on a real database, with the projector in-process, listening on a free port.
 * `databaseUrl` undefined with `dataDir` set runs it on embedded PGlite.
 */
export async function startTestApi(config: AccrualConfig, appOptions: ApiAppOptions = {}): Promise<TestApi> {
  const runtime = await createRuntime(config, { withProjector: true, applicationName: 'accrual-test' });
  await runtime.projector?.start();
  const app = await createApiApp(runtime, { logger: ['error'], ...appOptions });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    runtime,
    app,
    baseUrl,
    request: (method, path, options = {}) => send(baseUrl, method, path, options),
    close: async () => {
      await app.close();
      await closeRuntime(runtime);
    },
  };
}

async function send(baseUrl: string, method: string, path: string, options: RequestOptions): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.key === undefined ? 'admin-key' : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/**
 * The API on a database of its own of the given kind: a fresh server Postgres database, or
 * embedded PGlite in a fresh temporary folder. `close()` also drops the database or the folder.
 */
export async function startTestApiOn(
  kind: 'postgres' | 'pglite',
  name: string,
  overrides: Partial<AccrualConfig> = {},
  appOptions: ApiAppOptions = {},
): Promise<TestApi> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), `${name.replace(/_/g, '-')}-`));
    const api = await startTestApi(testConfig({ ...overrides, dataDir }), appOptions);
    return { ...api, close: async () => (await api.close(), rmSync(dataDir, { recursive: true, force: true })) };
  }
  const { sql, database } = await openTestPostgres(name);
  await sql.close();
  const api = await startTestApi(testConfig({ ...overrides, databaseUrl: database.url }), appOptions);
  return { ...api, close: async () => (await api.close(), await database.drop()) };
}
