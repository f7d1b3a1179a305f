import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Deps } from '../../src/app/deps.ts';
import { buildTenantClaims, type TenantClaimsInput } from '../../src/claims/tenant-claims.ts';
import { signRs256 } from '../../src/tokens/rs256.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { writeGrants } from '../../src/access/membership-access.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { addGroupMember, createGroup, grantGroupPermissions, removeGroupMember } from '../../src/permissions/groups.ts';
import { grantUserPermissions } from '../../src/permissions/grants.ts';
import { assignRole, createRole, unassignRole } from '../../src/permissions/roles.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';

const OP = TEST_ACTOR;

/** What a tenant-scoped access token carries: the claims builder's output signed with the tenant's key. */
async function tenantToken(deps: Deps, tenant: TenantRow, input: Omit<TenantClaimsInput, 'tenant'>) {
  const key = deps.keyring.active(tenant.id);
  const iat = deps.clock.nowSeconds();
  const claims = buildTenantClaims(deps, { tenant: { id: tenant.id, slug: tenant.slug }, ...input });
  const token = await signRs256({ ...claims, sub: input.subject.id, iss: `http://localhost/t/${tenant.slug}`, aud: input.clientId, iat, exp: iat + 300 }, key.kid, key.privateKey);
  const { payload } = await jwtVerify(token, createLocalJWKSet(deps.keyring.jwks(tenant.id) as never), { currentDate: deps.clock.now() });
  return payload;
}

describe('the claims builder fills groups, can, realm_access and resource_access', () => {
  let t: TestInstance;
  let deps: Deps;
  let myApp: TenantRow;
  let alice: UserRow;

  beforeEach(async () => {
    t = await createTestInstance();
    deps = t.deps;
    // Seed 001's example: workspace my-app, apps web-frontend (public) and backend-api (confidential),
    // alice with role admin and group Engineering holding role deploy.
    myApp = await createTenant(deps, { slug: 'my-app', name: 'My App' }, OP);
    alice = await createMember(deps, myApp.id, 'alice@example.com', 'SUBMITTER');
    await createRole(deps, OP, 'my-app', { name: 'admin', permissions: ['manage:users'] });
    await createRole(deps, OP, 'my-app', { name: 'deploy', permissions: ['deploy:app'] });
    await createRole(deps, OP, 'my-app', { name: 'orders:write', clientId: 'backend-api', permissions: ['write:orders'] });
    createGroup(deps, OP, 'my-app', { name: 'Engineering' });
    await assignRole(deps, OP, 'my-app', 'admin', { user: alice.email });
    await assignRole(deps, OP, 'my-app', 'deploy', { group: 'Engineering' });
    await addGroupMember(deps, OP, 'my-app', 'Engineering', alice.email);
  });
  afterEach(() => t.close());

  it('gives alice realm_access.roles ["admin","deploy"] in a token for web-frontend (seed 001)', async () => {
    const claims = await tenantToken(deps, myApp, { subject: { type: 'user', id: alice.id }, clientId: 'web-frontend', scopes: ['openid', 'email'], profile: { email: alice.email, emailVerified: true, name: 'Alice' } });
    expect(claims).toMatchObject({
      tenant: 'my-app',
      actor_type: 'user',
      groups: ['Engineering'],
      can: ['deploy:app', 'manage:users'],
      realm_access: { roles: ['admin', 'deploy'] },
      resource_access: {},
      email: 'alice@example.com',
      payment_profile: null,
    });
  });

  it('puts client roles under resource_access of the client the token is for, and only that one', async () => {
    await assignRole(deps, OP, 'my-app', 'orders:write', { group: 'Engineering' }, 'backend-api');
    const forApi = buildTenantClaims(deps, { tenant: myApp, subject: { type: 'user', id: alice.id }, clientId: 'backend-api', scopes: [] });
    expect(forApi.resource_access).toEqual({ 'backend-api': { roles: ['orders:write'] } });
    expect(forApi.realm_access.roles).toEqual(['admin', 'deploy']);
    expect(forApi.can).toEqual(['deploy:app', 'manage:users', 'write:orders']);
    const forWeb = buildTenantClaims(deps, { tenant: myApp, subject: { type: 'user', id: alice.id }, clientId: 'web-frontend', scopes: [] });
    expect(forWeb.resource_access).toEqual({});
  });

  it('issues the new can on the very next token after any change, never the old one', async () => {
    const next = () => buildTenantClaims(deps, { tenant: myApp, subject: { type: 'user', id: alice.id }, clientId: 'web-frontend', scopes: [] });
    expect(next().can).toEqual(['deploy:app', 'manage:users']);
    await grantGroupPermissions(deps, OP, 'my-app', 'Engineering', ['read:logs']);
    expect(next().can).toEqual(['deploy:app', 'manage:users', 'read:logs']);
    await grantUserPermissions(deps, OP, 'my-app', alice.email, ['publish:article']);
    expect(next().can).toContain('publish:article');
    await unassignRole(deps, OP, 'my-app', 'admin', { user: alice.email });
    expect(next()).toMatchObject({ can: ['deploy:app', 'publish:article', 'read:logs'], realm_access: { roles: ['deploy'] } });
    await removeGroupMember(deps, OP, 'my-app', 'Engineering', alice.email);
    expect(next()).toMatchObject({ groups: [], can: ['publish:article'], realm_access: { roles: [] } });
  });

  it('builds claims for a group subject (act-as-group) and empty ones for a non-member', async () => {
    const engineering = deps.sqlite.prepare("SELECT id FROM access_groups WHERE name = 'Engineering'").get() as { id: string };
    const asGroup = buildTenantClaims(deps, { tenant: myApp, subject: { type: 'group', id: engineering.id }, scopes: [] });
    expect(asGroup).toMatchObject({ actor_type: 'group', groups: ['Engineering'], can: ['deploy:app'], realm_access: { roles: ['deploy'] } });
    const other = await createTenant(deps, { slug: 'other', name: 'Other' }, OP);
    const outside = buildTenantClaims(deps, { tenant: other, subject: { type: 'user', id: alice.id }, scopes: [] });
    expect(outside).toMatchObject({ groups: [], can: [], realm_access: { roles: [] }, resource_access: {} });
  });
});

describe('claims with KIMAUTH_ENTITLEMENTS_URL (remote entitlements, synchronous claims)', () => {
  it('withholds module permissions until the entitlements are known, never grants them by mistake, and follows changes', async () => {
    const { createServer } = await import('node:http');
    let modules = ['finance'];
    const service = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ modules }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const t = await createTestInstance({ config: { entitlementsUrl: `http://127.0.0.1:${(service.address() as { port: number }).port}` } });
    try {
      const deps = t.deps;
      const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, OP);
      const bob = await createMember(deps, acme.id, 'bob@acme.test', 'SUBMITTER');
      deps.sqlite.transaction(() => writeGrants(deps, acme.id, bob.id, { modules: ['finance'] }, OP))();
      createGroup(deps, OP, 'acme', { name: 'Finance' });
      await addGroupMember(deps, OP, 'acme', 'Finance', bob.email);
      await grantGroupPermissions(deps, OP, 'acme', 'Finance', ['finance.report.view', 'read:ledger']);
      await deps.background.idle();
      deps.accessCaches.remoteEntitlements.clear();

      const claims = () => buildTenantClaims(deps, { tenant: acme, subject: { type: 'user', id: bob.id }, scopes: [] });
      // Nothing fetched yet: the module-gated permission is withheld, and a fetch starts in the background.
      expect(claims().can).toEqual(['read:ledger']);
      await deps.background.idle();
      expect(claims().can).toEqual(['finance.report.view', 'read:ledger']);

      modules = [];
      t.clock.advance(61_000);
      expect(claims().can).toEqual(['finance.report.view', 'read:ledger']); // the stale answer, while a refresh runs
      await deps.background.idle();
      expect(claims().can).toEqual(['read:ledger']);
    } finally {
      t.close();
      service.close();
    }
  });
});
