import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { readGrants, writeGrants } from '../../src/access/membership-access.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser, createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

/**
 * §15: nobody grants what they do not control. One company, one member per role; the MANAGER holds
 * `basic` + `basic.reports.view`, and the ADMIN limit allows only `basic` and `basic.*`.
 */
describe('delegation (§15)', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  const users: Record<string, UserRow> = {};
  const tokens: Record<string, { authorization: string }> = {};

  beforeAll(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    setCompanyEntitlements(t.deps, acme, ['basic', 'finance', 'market'], TEST_ACTOR);
    for (const role of ['TENANT_SUPERADMIN', 'FINANCE', 'ADMIN', 'MANAGER', 'SUBMITTER'] as const) {
      users[role] = await createMember(t.deps, acme.id, `${role.toLowerCase()}@acme.test`, role);
    }
    users.target = await createMember(t.deps, acme.id, 'target@acme.test', 'SUBMITTER');
    users.otherAdmin = await createMember(t.deps, acme.id, 'admin2@acme.test', 'ADMIN');
    users.PLATFORM_ADMIN = await createActiveUser(t.deps, 'platform@example.com', 'PLATFORM_ADMIN');
    users.PLATFORM_MODERATOR = await createActiveUser(t.deps, 'moderator@example.com', 'PLATFORM_MODERATOR');
    users.outsider = await createActiveUser(t.deps, 'outsider@example.com');
    t.deps.sqlite.transaction(() =>
      writeGrants(t.deps, acme.id, users.MANAGER.id, { modules: ['basic'], permissions: ['basic.reports.view', 'finance.read'] }, TEST_ACTOR),
    )();
    for (const [name, user] of Object.entries(users)) tokens[name] = bearer((await signIn(t.deps, user.id)).accessToken);
    const limits = await app.inject({
      method: 'PUT',
      url: `/internal/companies/${acme.id}/delegation-limits`,
      headers: tokens.TENANT_SUPERADMIN,
      payload: { limits: { ADMIN: { modules: ['basic'], permissions: ['basic.*'] } } },
    });
    expect(limits.statusCode).toBe(200);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });
  beforeEach(() => {
    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, users.target.id, { modules: [], permissions: [] }, TEST_ACTOR))();
  });

  const putAccess = (caller: string, target: string, body: object) =>
    app.inject({ method: 'PUT', url: `/internal/companies/${acme.id}/users/${users[target].id}/access`, headers: tokens[caller], payload: body });
  const auditCount = () => (t.deps.sqlite.prepare('SELECT count(*) AS n FROM audit_entries WHERE tenant_id = ?').get(acme.id) as { n: number }).n;

  it.each([
    { caller: 'SUBMITTER', target: 'target', body: { modules: ['basic'] } },
    { caller: 'outsider', target: 'target', body: { modules: ['basic'] } },
    { caller: 'PLATFORM_MODERATOR', target: 'target', body: { permissions: ['basic.view'] } },
    { caller: 'MANAGER', target: 'target', body: { modules: ['finance'] } },
    { caller: 'MANAGER', target: 'target', body: { modules: ['basic', 'finance'] } },
    // finance.read is granted to the manager but not effective (finance not granted), so not "held".
    { caller: 'MANAGER', target: 'target', body: { permissions: ['basic.reports.view', 'finance.read'] } },
    { caller: 'MANAGER', target: 'otherAdmin', body: { modules: ['basic'] } },
    { caller: 'ADMIN', target: 'target', body: { modules: ['basic', 'finance'] } },
    { caller: 'ADMIN', target: 'target', body: { permissions: ['basic.view', 'market.contract.approve'] } },
    { caller: 'ADMIN', target: 'TENANT_SUPERADMIN', body: { modules: ['basic'] } },
    { caller: 'ADMIN', target: 'FINANCE', body: { modules: ['basic'] } },
    { caller: 'FINANCE', target: 'target', body: { modules: ['market'] } },
  ])('$caller may not set $body on $target: 403 and nothing changes', async ({ caller, target, body }) => {
    const before = { grants: readGrants(t.deps, acme.id, users[target].id), audit: auditCount() };
    const res = await putAccess(caller, target, body);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect({ grants: readGrants(t.deps, acme.id, users[target].id), audit: auditCount() }).toEqual(before);
  });

  it.each([
    { caller: 'PLATFORM_ADMIN', body: { modules: ['market', 'venue'], permissions: ['market.contract.approve', 'publish:article'] } },
    { caller: 'TENANT_SUPERADMIN', body: { modules: ['finance', 'basic'], permissions: ['finance.expense.view'] } },
    { caller: 'ADMIN', body: { modules: ['basic'], permissions: ['basic.dashboard', 'basic.reports.view'] } },
    { caller: 'FINANCE', body: { modules: ['basic'], permissions: ['basic.dashboard'] } },
    { caller: 'MANAGER', body: { modules: ['basic'], permissions: ['basic.reports.view'] } },
  ])('$caller may set $body on a SUBMITTER, audited per grant', async ({ caller, body }) => {
    const before = auditCount();
    const res = await putAccess(caller, 'target', body);
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data.modules).toEqual([...body.modules].sort());
    expect(data.permissions).toEqual([...body.permissions].sort());
    // One entry per grant, plus the permissions.changed summary (src/permissions) when the effective set moved.
    const entries = t.deps.sqlite
      .prepare('SELECT event_type FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY event_type')
      .all(acme.id, before)
      .map((r) => (r as { event_type: string }).event_type)
      .filter((type) => type !== 'permissions.changed');
    expect(entries.length).toBe(body.modules.length + body.permissions.length);
    expect([...new Set(entries)]).toEqual(['module.granted', 'permission.granted']);
  });

  it('reports effective access next to the grants, and revokes are audited', async () => {
    await putAccess('TENANT_SUPERADMIN', 'target', { modules: ['basic', 'venue'], permissions: ['venue.stage.book', 'basic.view'] });
    const res = await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/users/${users.target.id}/access`, headers: tokens.MANAGER });
    expect(res.json().data).toMatchObject({
      role: 'SUBMITTER',
      modules: ['basic', 'venue'],
      effective: { modules: { basic: true, venue: false, finance: false }, permissions: ['basic.view'] },
    });
    await putAccess('TENANT_SUPERADMIN', 'target', { modules: ['basic'] });
    const last = t.deps.sqlite.prepare('SELECT event_type, payload FROM audit_entries WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1').get(acme.id);
    expect(last).toEqual({ event_type: 'module.revoked', payload: JSON.stringify({ companyId: acme.id, module: 'venue' }) });
    expect((await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/users/${users.target.id}/access`, headers: tokens.SUBMITTER })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/users/${users.target.id}/access`, headers: tokens.target })).statusCode).toBe(200);
  });

  it('only TENANT_SUPERADMIN and platform admins set delegation limits', async () => {
    const url = `/internal/companies/${acme.id}/delegation-limits`;
    for (const caller of ['ADMIN', 'FINANCE', 'MANAGER', 'SUBMITTER', 'PLATFORM_MODERATOR']) {
      const res = await app.inject({ method: 'PUT', url, headers: tokens[caller], payload: { managersMayInvite: true } });
      expect(res.statusCode, caller).toBe(403);
    }
    const ok = await app.inject({ method: 'PUT', url, headers: tokens.PLATFORM_ADMIN, payload: { limits: { MANAGER: { modules: ['basic'], permissions: [] } } } });
    expect(ok.json().data).toEqual({
      limits: { ADMIN: { modules: ['basic'], permissions: ['basic.*'] }, MANAGER: { modules: ['basic'], permissions: [] } },
      managersMayInvite: false,
    });
    // The MANAGER limit now allows no permission, even one the manager holds.
    expect((await putAccess('MANAGER', 'target', { permissions: ['basic.reports.view'] })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url, headers: tokens.MANAGER })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url, headers: tokens.SUBMITTER })).statusCode).toBe(403);
    await app.inject({ method: 'PUT', url, headers: tokens.PLATFORM_ADMIN, payload: { limits: { MANAGER: null } } });
  });
});
