import { ConfigError, loadConfig, parseApiKeys } from './config';
import { canonicalJson, requestHash } from './idempotency-store';
import { deterministicUuid } from './event-ids';

describe('loadConfig', () => {
  it('takes the contract defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      dataDir: './.accrual',
      eventStore: 'postgres',
      kafkaBrokers: [],
      scheduler: true,
      apiKeyGenerated: true,
      bodyLimitBytes: 1_048_576,
      rateLimit: null,
      logLevel: 'info',
    });
    expect(config.apiKeys).toHaveLength(1);
    expect(config.apiKeys[0]).toMatchObject({ name: 'dev-admin', role: 'admin' });
    expect(config.apiKeys[0].secret).toMatch(/^acc_[0-9a-f]{48}$/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://db/accrual',
      ACCRUAL_DATA_DIR: '/var/lib/accrual',
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      ACCRUAL_API_KEYS: 'billing-svc:operator:s3cret',
      ACCRUAL_SCHEDULER: 'off',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://db/accrual',
      dataDir: '/var/lib/accrual',
      eventStore: 'eventstoredb',
      eventStoreConnectionString: 'esdb://localhost:2113?tls=false',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      apiKeys: [{ name: 'billing-svc', role: 'operator', secret: 's3cret' }],
      apiKeyGenerated: false,
      scheduler: false,
    });
  });

  it('refuses what cannot run', () => {
    expect(() => loadConfig({ EVENT_STORE: 'mysql' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_CONNECTION_STRING/);
    expect(() => loadConfig({ PORT: 'http' })).toThrow(ConfigError);
  });

  it('reads the limits and the log level', () => {
    expect(loadConfig({ ACCRUAL_MAX_BODY_BYTES: '2048', ACCRUAL_LOG_LEVEL: 'silent' })).toMatchObject({ bodyLimitBytes: 2048, logLevel: 'silent' });
    expect(loadConfig({ ACCRUAL_RATE_LIMIT_PER_SECOND: '50' }).rateLimit).toEqual({ perSecond: 50, burst: 50 });
    expect(loadConfig({ ACCRUAL_RATE_LIMIT_PER_SECOND: '0.5', ACCRUAL_RATE_LIMIT_BURST: '10' }).rateLimit).toEqual({ perSecond: 0.5, burst: 10 });
    expect(loadConfig({ ACCRUAL_RATE_LIMIT_PER_SECOND: 'off' }).rateLimit).toBeNull();
  });

  it.each([
    { ACCRUAL_MAX_BODY_BYTES: 'lots' },
    { ACCRUAL_MAX_BODY_BYTES: '0' },
    { ACCRUAL_MAX_BODY_BYTES: '1.5' },
    { ACCRUAL_RATE_LIMIT_PER_SECOND: '-1' },
    { ACCRUAL_RATE_LIMIT_BURST: '5' },
    { ACCRUAL_LOG_LEVEL: 'verbose' },
  ])('refuses %p', (env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
  });
});

describe('parseApiKeys', () => {
  it('parses several keys, secrets with colons included', () => {
    expect(parseApiKeys('a:admin:x, b:reader:y:z')).toEqual([
      { name: 'a', role: 'admin', secret: 'x' },
      { name: 'b', role: 'reader', secret: 'y:z' },
    ]);
  });

  it.each(['a:root:x', 'a:admin:', ':admin:x', 'just-a-secret'])('refuses %s', (text) => {
    expect(() => parseApiKeys(text)).toThrow(ConfigError);
  });
});

describe('idempotency request hash', () => {
  it('ignores key order and sees every value', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    expect(requestHash('POST', '/v1/x', { a: 1, b: 2 })).toBe(requestHash('POST', '/v1/x', { b: 2, a: 1 }));
    expect(requestHash('POST', '/v1/x', { a: 1 })).not.toBe(requestHash('POST', '/v1/x', { a: '1' }));
    expect(requestHash('POST', '/v1/x', { a: 1 })).not.toBe(requestHash('POST', '/v1/y', { a: 1 }));
  });
});

describe('deterministicUuid', () => {
  it('names the same thing with the same version-5-shaped UUID', () => {
    const id = deterministicUuid('usage:u-1');
    expect(id).toBe(deterministicUuid('usage:u-1'));
    expect(id).not.toBe(deterministicUuid('usage:u-2'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
