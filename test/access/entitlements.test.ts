import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { getCompanyEntitlements, parseEntitlementsResponse, ENTITLEMENTS_CACHE_MS, ENTITLEMENTS_STALE_MS } from '../../src/access/entitlements.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

const bearerFor = async (deps: TestInstance['deps'], user: { id: string }) => bearer((await signIn(deps, user.id)).accessToken);

describe('company entitlements kept by kimauth', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  beforeEach(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  const put = (headers: Record<string, string>, modules: string[]) =>
    app.inject({ method: 'PUT', url: `/internal/companies/${acme.id}/entitlements`, headers, payload: { modules } });
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/entitlements`, headers });

  it('platform admins set them, staff read them, everyone else is refused; changes are audited', async () => {
    const admin = await bearerFor(t.deps, t.admin);
    const set = await put(admin, ['finance', 'Basic', 'crm']);
    expect(set.statusCode).toBe(200);
    expect(set.json().data).toEqual({ companyId: acme.id, modules: ['basic', 'crm', 'finance'], source: 'local' });

    const moderator = await bearerFor(t.deps, await createActiveUser(t.deps, 'mod@example.com', 'PLATFORM_MODERATOR'));
    expect((await get(moderator)).json().data.modules).toEqual(['basic', 'crm', 'finance']);
    expect((await put(moderator, [])).statusCode).toBe(403);

    const member = await bearerFor(t.deps, await createActiveUser(t.deps, 'user@example.com'));
    expect((await get(member)).json().error.code).toBe('forbidden');
    expect((await get({})).statusCode).toBe(401);

    expect((await put(admin, ['Not a module!'])).json().error.code).toBe('validation_error');

    const events = t.deps.sqlite
      .prepare('SELECT tenant_id, event_type, target_id FROM audit_entries WHERE event_type IN (?, ?) ORDER BY event_type DESC')
      .all('entitlements.updated', 'module.defined') as Array<{ tenant_id: string; event_type: string; target_id: string }>;
    expect(events).toEqual([
      { tenant_id: t.master.id, event_type: 'module.defined', target_id: 'crm' },
      { tenant_id: acme.id, event_type: 'entitlements.updated', target_id: acme.id },
    ]);
  });
});

describe('company entitlements from KIMAUTH_ENTITLEMENTS_URL', () => {
  let server: Server;
  let baseUrl: string;
  let requests: Array<{ url: string; key: string | undefined }>;
  let reply: { status: number; body: unknown };

  beforeEach(async () => {
    requests = [];
    reply = { status: 200, body: { modules: ['basic'] } };
    server = createServer((req, res) => {
      requests.push({ url: req.url!, key: req.headers['x-internal-api-key'] as string | undefined });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('asks the service with the internal key, caches for a minute, serves stale when it is down, then 503', async () => {
    const t = await createTestInstance({ config: { entitlementsUrl: baseUrl, internalApiKey: 'k'.repeat(32) } });
    try {
      const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
      reply.body = { success: true, data: { modules: { finance: true, ai: false, basic: true } } };
      const first = await getCompanyEntitlements(t.deps, acme.id);
      expect(first).toMatchObject({ modules: ['basic', 'finance'], listed: ['ai', 'basic', 'finance'], source: 'remote', stale: false });
      expect(requests).toEqual([{ url: `/internal/companies/${acme.id}/entitlements`, key: 'k'.repeat(32) }]);

      reply.body = { modules: ['venue'] };
      t.clock.advance(ENTITLEMENTS_CACHE_MS - 1);
      expect((await getCompanyEntitlements(t.deps, acme.id)).modules).toEqual(['basic', 'finance']);
      expect(requests).toHaveLength(1);
      t.clock.advance(1);
      expect((await getCompanyEntitlements(t.deps, acme.id)).modules).toEqual(['venue']);
      expect(requests).toHaveLength(2);

      // The service goes away: the last answer is served, marked stale, until ENTITLEMENTS_STALE_MS.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      t.clock.advance(ENTITLEMENTS_CACHE_MS);
      expect(await getCompanyEntitlements(t.deps, acme.id)).toMatchObject({ modules: ['venue'], stale: true });
      t.clock.advance(ENTITLEMENTS_STALE_MS);
      await expect(getCompanyEntitlements(t.deps, acme.id)).rejects.toMatchObject({ code: 'service_unavailable' });

      // Over HTTP the route answers 503 service_unavailable, and a fresh company with no cache too.
      const app = await buildServer(t.deps);
      const admin = await bearerFor(t.deps, t.admin);
      const res = await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/entitlements`, headers: admin });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('service_unavailable');
      const refused = await app.inject({ method: 'PUT', url: `/internal/companies/${acme.id}/entitlements`, headers: admin, payload: { modules: [] } });
      expect(refused.json().error.code).toBe('conflict');
      await app.close();
      server.listen(0); // so afterEach's close has something to close
    } finally {
      t.close();
    }
  });

  it.each([
    [{ modules: ['basic', 'finance'] }, ['basic', 'finance']],
    [{ data: { modules: ['ai'] } }, ['ai']],
    [{ basic: true, market: false }, ['basic']],
    [{ success: true, data: { touring: true } }, ['touring']],
    [[{ module: 'venue', enabled: true }, { name: 'ai', enabled: false }], ['venue']],
  ])('understands the response shape %j', (body, modules) => {
    expect(parseEntitlementsResponse(body).modules).toEqual(modules);
  });

  it.each([[null], ['basic'], [{ modules: [1] }], [{ basic: 'yes' }]])('rejects the response %j', (body) => {
    expect(() => parseEntitlementsResponse(body)).toThrow();
  });
});
