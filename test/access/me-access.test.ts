import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { writeGrants } from '../../src/access/membership-access.ts';
import { removeCompanyMembership, upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { bumpTokenVersion } from '../../src/sessions/sessions.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { BUILTIN_MODULES } from '../../src/access/modules.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { addMember, createActiveUser } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

const OPERATOR = TEST_ACTOR;
const OFF = Object.fromEntries(BUILTIN_MODULES.map((m) => [m, false]));

describe('GET /auth/me/access (§4.7)', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  let globex: TenantRow;
  let user: UserRow;
  let auth: { authorization: string };
  beforeEach(async () => {
    t = await createTestInstance({ file: true });
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    globex = await createTenant(t.deps, { slug: 'globex', name: 'Globex' }, TEST_ACTOR);
    setCompanyEntitlements(t.deps, acme, ['basic', 'finance', 'ai'], TEST_ACTOR);
    user = await createActiveUser(t.deps, 'user@example.com');
    addMember(t.deps, acme.id, user.id, 'ADMIN');
    t.deps.sqlite.transaction(() =>
      writeGrants(t.deps, acme.id, user.id, { modules: ['basic', 'finance'], permissions: ['finance.read', 'finance.write', 'basic.dashboard', 'market.view'] }, TEST_ACTOR),
    )();
    auth = bearer((await signIn(t.deps, user.id)).accessToken);
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  const me = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/auth/me/access', headers: { ...auth, ...headers } });

  it('answers exactly the §4.7 shape for the only company, without x-org', async () => {
    const res = await me();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      success: true,
      data: {
        activeCompanyId: acme.id,
        user: { id: user.id, email: 'user@example.com', name: 'user' },
        companies: [
          {
            companyId: acme.id,
            role: 'ADMIN',
            modules: { ...OFF, basic: true, finance: true },
            permissions: ['basic.dashboard', 'finance.read', 'finance.write'],
          },
        ],
        global: { platformRole: 'NONE' },
        meta: { generatedAt: '2026-03-01T12:00:00.000Z' },
      },
    });
  });

  it('picks the company from x-org, else the default company; 400 when ambiguous, 403 without membership', async () => {
    addMember(t.deps, globex.id, user.id, 'SUBMITTER');
    const ambiguous = await me();
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json().error.code).toBe('validation_error');

    const byHeader = (await me({ 'x-org': globex.id })).json().data;
    expect(byHeader.activeCompanyId).toBe(globex.id);
    expect(byHeader.companies.map((c: { companyId: string; role: string }) => [c.companyId, c.role])).toEqual([
      [acme.id, 'ADMIN'],
      [globex.id, 'SUBMITTER'],
    ]);
    expect((await me({ 'x-org': 'globex' })).json().data.activeCompanyId).toBe(globex.id);

    const set = await app.inject({ method: 'PUT', url: '/auth/me/default-company', headers: auth, payload: { companyId: globex.id } });
    expect(set.json().data).toEqual({ defaultCompanyId: globex.id });
    expect((await me()).json().data.activeCompanyId).toBe(globex.id);

    const other = await createTenant(t.deps, { slug: 'other', name: 'Other' }, TEST_ACTOR);
    expect((await me({ 'x-org': other.id })).json().error.code).toBe('forbidden');
    expect((await app.inject({ method: 'PUT', url: '/auth/me/default-company', headers: auth, payload: { companyId: other.id } })).statusCode).toBe(403);

    // Platform staff without a membership get no access model either.
    const staff = bearer((await signIn(t.deps, t.admin.id)).accessToken);
    expect((await app.inject({ method: 'GET', url: '/auth/me/access', headers: { ...staff, 'x-org': acme.id } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/auth/me/access' })).statusCode).toBe(401);
  });

  it('serves from cache until a change, and every kind of change shows on the very next call', async () => {
    const modulesNow = async () => (await me()).json().data.companies[0];
    const first = await me();
    t.clock.advance(5_000);
    expect((await me()).body).toBe(first.body); // cached: same generatedAt

    setCompanyEntitlements(t.deps, acme, ['basic'], TEST_ACTOR); // entitlement change
    expect((await modulesNow()).modules).toEqual({ ...OFF, basic: true });
    expect((await me()).json().data.meta.generatedAt).toBe('2026-03-01T12:00:05.000Z');

    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, user.id, { permissions: ['basic.dashboard', 'basic.export'] }, TEST_ACTOR))(); // permission change
    expect((await modulesNow()).permissions).toEqual(['basic.dashboard', 'basic.export']);

    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, user.id, { modules: [] }, TEST_ACTOR))(); // grant change
    expect((await modulesNow()).modules.basic).toBe(false);

    upsertCompanyMembership(t.deps, OPERATOR, acme.id, { userId: user.id, role: 'FINANCE' }); // membership change
    expect((await modulesNow()).role).toBe('FINANCE');

    // Another process on the same data dir changes the membership: seen here too.
    const other = buildDeps({ config: t.deps.config, databaseFile: `${t.deps.config.dataDir}/kimauth.db`, masterKeys: t.deps.masterKeys, clock: t.clock });
    try {
      removeCompanyMembership(other, OPERATOR, acme.id, user.id);
    } finally {
      other.close();
    }
    expect((await me()).statusCode).toBe(400);

    addMember(t.deps, acme.id, user.id, 'SUBMITTER');
    expect((await modulesNow()).permissions).toEqual([]); // grants went with the removed membership

    t.deps.sqlite.transaction(() => bumpTokenVersion(t.deps, user.id))(); // tokenVersion change
    expect((await me()).statusCode).toBe(401);
  });
});

describe('GET /auth/me/access with KIMAUTH_ENTITLEMENTS_URL', () => {
  it('follows the entitlements service once its cached answer is older than a minute; 503 when it is down with nothing cached', async () => {
    const { createServer } = await import('node:http');
    let modules: string[] = ['basic', 'finance'];
    const service = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { modules } }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(service.address() as { port: number }).port}`;
    const t = await createTestInstance({ config: { entitlementsUrl: url } });
    const app = await buildServer(t.deps);
    try {
      const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
      const user = await createActiveUser(t.deps, 'remote@example.com');
      addMember(t.deps, acme.id, user.id, 'SUBMITTER');
      t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, user.id, { modules: ['basic', 'finance'], permissions: ['finance.read'] }, TEST_ACTOR))();
      const headers = bearer((await signIn(t.deps, user.id)).accessToken);
      const company = async () => (await app.inject({ method: 'GET', url: '/auth/me/access', headers })).json().data.companies[0];

      expect(await company()).toMatchObject({ modules: { basic: true, finance: true }, permissions: ['finance.read'] });
      modules = ['basic'];
      t.clock.advance(30_000);
      expect((await company()).modules.finance).toBe(true); // still the cached answer
      t.clock.advance(30_000);
      expect(await company()).toMatchObject({ modules: { basic: true, finance: false }, permissions: [] });

      await new Promise<void>((resolve) => service.close(() => resolve()));
      const other = await createTenant(t.deps, { slug: 'other', name: 'Other' }, TEST_ACTOR);
      addMember(t.deps, other.id, user.id, 'SUBMITTER');
      const down = await app.inject({ method: 'GET', url: '/auth/me/access', headers: { ...headers, 'x-org': other.id } });
      expect(down.statusCode).toBe(503);
      expect(down.json().error.code).toBe('service_unavailable');
    } finally {
      await app.close();
      t.close();
      service.close();
    }
  });
});
