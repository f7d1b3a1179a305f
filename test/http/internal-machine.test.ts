import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, findUserById } from '../../src/identity/users.ts';
import { upsertBusinessUnitMembership, upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { bearer, signIn } from '../support/tokens.ts';

const KEY = 'machine-key-0123456789abcdef';
const OPERATOR = TEST_ACTOR;

describe('§5.3 machine routes (X-Internal-API-Key)', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  let user: UserRow;
  const key = { 'x-internal-api-key': KEY };

  beforeAll(async () => {
    t = await createTestInstance({ config: { internalApiKey: KEY } });
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme', legacyCode: 'ACME-001' }, TEST_ACTOR);
    user = await createUser(t.deps, { email: 'ctx@example.com', fullName: 'Context User', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  it('refuses a missing or wrong key with 403 forbidden', async () => {
    for (const headers of [{}, { 'x-internal-api-key': 'wrong' }, { 'x-internal-api-key': `${KEY}x` }]) {
      const res = await app.inject({ method: 'GET', url: `/internal/users/${user.id}/context`, headers });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
  });

  it('GET /internal/users/{id}/context returns the /auth/me shape with memberships and metadata shortcuts', async () => {
    const bu = randomUUID();
    upsertBusinessUnitMembership(t.deps, OPERATOR, acme.id, bu, { userId: user.id, role: 'SUBMITTER', metadata: { invoiceViewScope: 'BU', canEditOthersScope: 'OWN' } });
    upsertCompanyMembership(t.deps, OPERATOR, acme.id, { userId: user.id, role: 'MANAGER', approvalLimit: '1000', metadata: { version: 1, invoiceViewScope: 'COMPANY' } });
    const res = await app.inject({ method: 'GET', url: `/internal/users/${user.id}/context`, headers: key });
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(Object.keys(data).sort()).toEqual(
      [
        'id', 'email', 'name', 'globalRole', 'roles', 'tokenVersion', 'isVendor', 'vendorId', 'approvalStatus', 'isActive',
        'authProvider', 'phoneNumber', 'profilePictureUrl', 'companyMemberships', 'businessUnitMemberships',
      ].sort(),
    );
    expect(data).toMatchObject({ id: user.id, email: 'ctx@example.com', name: 'Context User', globalRole: 'NONE', roles: 'User', isVendor: false, vendorId: null });
    expect(data.companyMemberships).toEqual([
      expect.objectContaining({ companyId: acme.id, companySlug: 'acme', role: 'MANAGER', isActive: true, approvalLimit: '1000', invoiceViewScope: 'COMPANY', metadata: { version: 1, invoiceViewScope: 'COMPANY' } }),
    ]);
    expect(data.businessUnitMemberships).toEqual([expect.objectContaining({ businessUnitId: bu, role: 'SUBMITTER', invoiceViewScope: 'BU', canEditOthersScope: 'OWN' })]);
    expect((await app.inject({ method: 'GET', url: `/internal/users/${randomUUID()}/context`, headers: key })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/internal/users/abc/context', headers: key })).statusCode).toBe(400);
  });

  it('POST /internal/sessions/{id}/revoke ends one session; POST /internal/users/{id}/revoke-all ends all and bumps tokenVersion', async () => {
    const a = await signIn(t.deps, user.id);
    const b = await signIn(t.deps, user.id);
    const one = await app.inject({ method: 'POST', url: `/internal/sessions/${a.sessionId}/revoke`, headers: key });
    expect(one.json().data).toEqual({ status: 'revoked', sessionId: a.sessionId, alreadyRevoked: false });
    expect((await app.inject({ method: 'POST', url: `/internal/sessions/${a.sessionId}/revoke`, headers: key })).json().data.alreadyRevoked).toBe(true);
    expect((await app.inject({ method: 'POST', url: `/internal/sessions/${randomUUID()}/revoke`, headers: key })).statusCode).toBe(404);

    const before = findUserById(t.deps, user.id)!.tokenVersion;
    const all = await app.inject({ method: 'POST', url: `/internal/users/${user.id}/revoke-all`, headers: key });
    expect(all.json().data).toMatchObject({ revokedSessions: 1, tokenVersion: before + 1 });
    const probe = await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/users`, headers: bearer(b.accessToken) });
    expect(probe.json().error.code).toBe('session_revoked');
    const audit = t.deps.sqlite.prepare("SELECT actor_type, actor_id FROM audit_entries WHERE event_type = 'session.revoked_all' ORDER BY id DESC LIMIT 1").get();
    expect(audit).toEqual({ actor_type: 'machine', actor_id: 'internal-api-key' });
  });

  it('GET /internal/companies/resolve resolves an id, slug or legacy code against kimauth’s tenants', async () => {
    for (const raw of [acme.id, 'acme', 'ACME-001']) {
      const res = await app.inject({ method: 'GET', url: `/internal/companies/resolve?raw=${encodeURIComponent(raw)}`, headers: key });
      expect(res.json().data).toEqual({ companyId: acme.id, slug: 'acme', name: 'Acme', legacyCode: 'ACME-001', status: 'active' });
    }
    expect((await app.inject({ method: 'GET', url: '/internal/companies/resolve?raw=unknown', headers: key })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/internal/companies/resolve?raw=master', headers: key })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/internal/companies/resolve', headers: key })).statusCode).toBe(400);
  });

  it('lists the admin schemas as OpenAPI components', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['AdminUserOut', 'CreateUserRequest', 'PatchUserRequest', 'UpsertCompanyMembershipRequest', 'UpsertBusinessUnitMembershipRequest', 'UserContext']),
    );
    expect(doc.paths['/internal/users/{id}'].patch.responses['200'].content['application/json'].schema.properties.data).toEqual({ $ref: '#/components/schemas/AdminUserOut' });
    expect(doc.paths['/internal/users/{id}/context'].get.security).toEqual([{ internalApiKey: [] }]);
  });
});

describe('machine routes without KIMAUTH_INTERNAL_API_KEY', () => {
  it('are not registered: 404 even with a header', async () => {
    const t = await createTestInstance();
    const app = await buildServer(t.deps);
    try {
      for (const [method, url] of [
        ['POST', `/internal/sessions/${randomUUID()}/revoke`],
        ['POST', `/internal/users/${randomUUID()}/revoke-all`],
        ['GET', `/internal/users/${randomUUID()}/context`],
        ['GET', '/internal/companies/resolve?raw=x'],
      ] as const) {
        const res = await app.inject({ method, url, headers: { 'x-internal-api-key': 'anything-at-all-here' } });
        expect(res.statusCode).toBe(404);
        expect(res.json().error.code).toBe('not_found');
      }
    } finally {
      await app.close();
      t.close();
    }
  });
});
