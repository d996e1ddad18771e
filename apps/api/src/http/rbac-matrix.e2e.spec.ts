import { INestApplication } from '@nestjs/common';
import { describeWithPostgres } from '../../../../test/support/suites';
import { startTestApiOn, TestApi } from '../../../../test/support/api-app';

/**
 * CONTRACT §2's role table, written out here on purpose rather than imported from `access.ts`:
 * the test checks the code against the contract, not the code against itself.
 */
type Access = 'public' | 'command' | 'usage' | 'query' | 'audit' | 'erase';
const ROLES = ['admin', 'operator', 'ingest', 'reader', 'auditor'] as const;
const ALLOWED: Record<Exclude<Access, 'public'>, readonly string[]> = {
  command: ['admin', 'operator'],
  usage: ['admin', 'operator', 'ingest'],
  query: ['admin', 'operator', 'reader', 'auditor'],
  audit: ['admin', 'auditor'],
  erase: ['admin'],
};

/** Every route the API serves, classified by the contract. A new route fails the test until it is added here. */
const CONTRACT_ROUTES: Record<string, Access> = {
  'GET /health': 'public',
  'GET /metrics': 'public',
  'POST /v1/meters': 'command',
  'POST /v1/prices': 'command',
  'POST /v1/coupons': 'command',
  'POST /v1/tax-rates': 'command',
  'POST /v1/customers': 'command',
  'POST /v1/customers/:id/erase': 'erase',
  'POST /v1/subscriptions': 'command',
  'POST /v1/subscriptions/:id/change': 'command',
  'POST /v1/subscriptions/:id/cancel': 'command',
  'POST /v1/subscriptions/:id/pause': 'command',
  'POST /v1/subscriptions/:id/resume': 'command',
  'POST /v1/usage': 'usage',
  'POST /v1/usage/batch': 'usage',
  'POST /v1/billing-runs': 'command',
  'POST /v1/invoices': 'command',
  'POST /v1/invoices/:id/issue': 'command',
  'POST /v1/invoices/:id/void': 'command',
  'POST /v1/invoices/:id/mark-uncollectible': 'command',
  'POST /v1/payments': 'command',
  'POST /v1/payments/:id/refund': 'command',
  'POST /v1/credit-notes': 'command',
  'GET /v1/customers/:id': 'query',
  'GET /v1/customers/:id/usage': 'query',
  'GET /v1/subscriptions/:id': 'query',
  'GET /v1/invoices/:id': 'query',
  'GET /v1/invoices': 'query',
  'GET /v1/payments/:id': 'query',
  'GET /v1/payments': 'query',
  'GET /v1/credit-notes/:id': 'query',
  'GET /v1/credit-notes': 'query',
  'GET /v1/reports/ar-aging': 'query',
  'GET /v1/reports/dso': 'query',
  'GET /v1/reports/revenue': 'query',
  'GET /v1/reports/trial-balance': 'query',
  'GET /v1/audit/streams/:streamId': 'audit',
  'GET /v1/audit/log': 'audit',
  'POST /v1/audit/verify': 'audit',
};

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The routes Express actually serves, read from its router, so no route can escape the matrix. */
function servedRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  return express.router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((method) => method !== '_all')
          .map((method) => `${method.toUpperCase()} ${layer.route!.path}`)
      : [],
  );
}

/** What each caller must get: 401 without a known key, 403 without the role, else neither. */
function expected(access: Access, caller: string): 'served' | 401 | 403 {
  if (access === 'public') return 'served';
  if (caller === 'no key' || caller === 'unknown key' || caller === 'not bearer') return 401;
  return ALLOWED[access].includes(caller) ? 'served' : 403;
}

const CALLERS = [...ROLES, 'no key', 'unknown key', 'not bearer'] as const;

describeWithPostgres('RBAC: every route × every role (CONTRACT §2)', () => {
  let api: TestApi;
  let routes: string[];

  beforeAll(async () => {
    api = await startTestApiOn('postgres', 'accrual_rbac');
    routes = servedRoutes(api.app);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves exactly the contract routes, each classified', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((route) => !(route in CONTRACT_ROUTES))).toEqual([]);
    expect(Object.keys(CONTRACT_ROUTES).filter((route) => !routes.includes(route))).toEqual([]);
  });

  async function call(route: string, caller: (typeof CALLERS)[number]) {
    const [method, pattern] = route.split(' ');
    const path = pattern.replace(/:[A-Za-z]+/g, 'rbac-missing');
    const headers: Record<string, string> = caller === 'not bearer' ? { authorization: 'Basic YWRtaW4ta2V5Og==' } : {};
    const key = caller === 'no key' || caller === 'not bearer' ? null : caller === 'unknown key' ? 'admin-key-but-not-quite' : `${caller}-key`;
    return api.request(method, path, { key, headers, body: method === 'POST' ? {} : undefined });
  }

  it.each(CALLERS)('answers %s exactly as the role table says, and a refusal writes nothing', async (caller) => {
    const headBefore = await api.runtime.eventStore.headPosition();
    const mismatches: string[] = [];
    let refusals = 0;
    for (const route of routes) {
      const want = expected(CONTRACT_ROUTES[route] ?? 'command', caller);
      const answer = await call(route, caller);
      const got = answer.status === 401 || answer.status === 403 ? answer.status : 'served';
      if (got !== want) mismatches.push(`${route}: wanted ${want}, got ${answer.status} ${answer.text.slice(0, 120)}`);
      if (answer.body?.type === 'route-not-found') mismatches.push(`${route}: not routed`);
      if (want !== 'served') {
        refusals += 1;
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ status: want, type: want === 401 ? 'unauthorized' : 'forbidden' });
        if (want === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    expect(mismatches).toEqual([]);
    if (['no key', 'unknown key', 'not bearer', 'reader', 'ingest'].includes(caller)) {
      // Callers refused somewhere: only refusals and bodies too empty to pass validation were sent,
      // and none of it reached the log.
      expect(refusals).toBeGreaterThan(0);
      expect(await api.runtime.eventStore.headPosition()).toBe(headBefore);
    }
  });

  it('refuses a valid command from a role without it, and appends nothing', async () => {
    const headBefore = await api.runtime.eventStore.headPosition();
    const body = { id: 'rbac-c1', name: 'Initech', email: 'ap@initech.test', currency: 'EUR', country: 'DE' };
    for (const key of ['reader-key', 'auditor-key', 'ingest-key']) {
      const refused = await api.request('POST', '/v1/customers', { key, body });
      expect(refused.status).toBe(403);
    }
    const usage = { id: 'rbac-u1', customerId: 'rbac-c1', meterCode: 'calls', timestamp: '2026-01-15T00:00:00Z' };
    for (const key of ['reader-key', 'auditor-key']) {
      expect((await api.request('POST', '/v1/usage', { key, body: usage })).status).toBe(403);
    }
    expect(await api.runtime.eventStore.headPosition()).toBe(headBefore);
    expect(await api.runtime.eventStore.readStream('customer-rbac-c1')).toEqual([]);
  });
});
