import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, findUserById } from '../../src/identity/users.ts';
import { verifyPassword } from '../../src/identity/passwords.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { bearer, signIn } from '../support/tokens.ts';
import { openMailData } from '../../src/mail/outbox.ts';

const INTERNAL_KEY = 'internal-key-0123456789abcdef';

interface OutboxRow {
  template: string;
  to_address: string;
  data: string;
}

/** Seed 002 §5.2 procedures A, B, C and "platform vs company role", end to end over HTTP. */
describe('§5.2 procedures over HTTP', () => {
  let t: TestInstance;
  let app: App;
  let company: TenantRow;
  let admin: { authorization: string };

  const outbox = (to?: string) =>
    (t.deps.sqlite.prepare('SELECT id, template, to_address, data FROM mail_outbox ORDER BY rowid').all() as Array<OutboxRow & { id: string }>)
      .filter((m) => !to || m.to_address === to)
      .map((m) => ({ template: m.template, to: m.to_address, data: openMailData(t.deps, m.id, m.data) }));
  const auditTypes = (tenantId: string) =>
    (t.deps.sqlite.prepare('SELECT event_type FROM audit_entries WHERE tenant_id = ? ORDER BY seq').all(tenantId) as { event_type: string }[]).map(
      (r) => r.event_type,
    );

  beforeEach(async () => {
    t = await createTestInstance({ config: { emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:2525', internalApiKey: INTERNAL_KEY, frontendUrl: 'https://app.example.com' } });
    app = await buildServer(t.deps);
    company = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    admin = bearer((await signIn(t.deps, t.admin.id)).accessToken);
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  async function staff(role: 'PLATFORM_MODERATOR' | 'PLATFORM_ADMIN') {
    const user = await createUser(t.deps, { email: `${role.toLowerCase()}@example.com`, fullName: role, globalRole: role, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    return bearer((await signIn(t.deps, user.id)).accessToken);
  }

  it('Procedure A: a platform admin creates an approved user, grants MANAGER after a BU membership, and the memberships are visible', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/internal/users',
      headers: admin,
      payload: { email: 'User@Company.com', password: 'at-least-8-chars', fullName: 'Jane Doe', globalRole: 'NONE', isActive: true, authProvider: 'password' },
    });
    expect(created.statusCode).toBe(201);
    const user = created.json().data;
    expect(user).toMatchObject({ email: 'user@company.com', approvalStatus: 'APPROVED', isActive: true, globalRole: 'NONE', deletedAt: null });
    expect(user).not.toHaveProperty('passwordHash');
    expect(await verifyPassword(findUserById(t.deps, user.id)!.passwordHash!, 'at-least-8-chars')).toBe(true);

    // The welcome mail carries a set-password link and never the password the admin chose.
    const [welcome] = outbox('user@company.com');
    expect(welcome.template).toBe('user-created');
    expect(welcome.data.setPasswordUrl).toMatch(/^https:\/\/app\.example\.com\/set-password\?token=[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(welcome.data)).not.toContain('at-least-8-chars');

    const url = `/internal/companies/${company.id}`;
    const manager = await app.inject({ method: 'POST', url: `${url}/memberships`, headers: admin, payload: { userId: user.id, role: 'MANAGER', isActive: true } });
    expect(manager.statusCode).toBe(400);
    expect(manager.json().error).toMatchObject({ code: 'validation_error', message: expect.stringMatching(/business-unit/) });

    const bu = randomUUID();
    const buRes = await app.inject({
      method: 'POST',
      url: `${url}/business-units/${bu}/memberships`,
      headers: admin,
      payload: { userId: user.id, role: 'APPROVER', isActive: true, metadata: { version: 1, invoiceViewScope: 'BU', canEditOthersScope: 'OWN' } },
    });
    expect(buRes.statusCode).toBe(200);
    expect(buRes.json().data).toMatchObject({ businessUnitId: bu, role: 'APPROVER', invoiceViewScope: 'BU', canEditOthersScope: 'OWN' });

    const granted = await app.inject({ method: 'POST', url: `${url}/memberships`, headers: admin, payload: { userId: user.id, role: 'MANAGER', isActive: true } });
    expect(granted.statusCode).toBe(200);
    expect(granted.json().data).toMatchObject({ companyId: company.id, userId: user.id, role: 'MANAGER', isActive: true, approvalLimit: null, metadata: {} });

    // The user signs in; the token carries no memberships, the context route does.
    const token = (await signIn(t.deps, user.id)).accessToken;
    expect(decodeJwt(token)).not.toHaveProperty('companyMemberships');
    const context = await app.inject({ method: 'GET', url: `/internal/users/${user.id}/context`, headers: { 'x-internal-api-key': INTERNAL_KEY } });
    expect(context.json().data).toMatchObject({
      id: user.id,
      name: 'Jane Doe',
      roles: 'User',
      companyMemberships: [{ companyId: company.id, role: 'MANAGER' }],
      businessUnitMemberships: [{ businessUnitId: bu, role: 'APPROVER' }],
    });

    // Verify: the company and BU lists show the user with this company's rows; the MANAGER may list too.
    for (const headers of [admin, bearer(token)]) {
      const list = await app.inject({ method: 'GET', url: `${url}/users`, headers });
      expect(list.statusCode).toBe(200);
      expect(list.json().data.users).toEqual([
        expect.objectContaining({ id: user.id, memberships: { companyMemberships: [expect.objectContaining({ role: 'MANAGER' })], businessUnitMemberships: [expect.objectContaining({ businessUnitId: bu })] } }),
      ]);
      const buList = await app.inject({ method: 'GET', url: `${url}/business-units/${bu}/users`, headers });
      expect(buList.json().data.users.map((u: { id: string }) => u.id)).toEqual([user.id]);
    }

    expect(auditTypes(t.master.id)).toContain('user.created');
    expect(auditTypes(company.id)).toEqual(expect.arrayContaining(['bu_membership.upserted', 'membership.upserted']));
  });

  it('Procedure B: a pending registrant is found, approved by a moderator, activated by an admin, then assigned', async () => {
    // /auth/register is built elsewhere; its service is createUser with PENDING + inactive.
    const registrant = await createUser(t.deps, { email: 'reg@example.com', fullName: 'Reg', password: 'registrant-pw', approvalStatus: 'PENDING', isActive: false }, TEST_ACTOR);
    const moderator = await staff('PLATFORM_MODERATOR');

    const pending = await app.inject({ method: 'GET', url: '/internal/users?approvalStatus=PENDING&limit=50&offset=0', headers: moderator });
    expect(pending.statusCode).toBe(200);
    expect(pending.json().data).toMatchObject({ total: 1, limit: 50, offset: 0, users: [{ id: registrant.id, approvalStatus: 'PENDING', isActive: false }] });

    const both = await app.inject({ method: 'PATCH', url: `/internal/users/${registrant.id}`, headers: moderator, payload: { approvalStatus: 'APPROVED', isActive: true } });
    expect(both.statusCode).toBe(403);
    const approved = await app.inject({ method: 'PATCH', url: `/internal/users/${registrant.id}`, headers: moderator, payload: { approvalStatus: 'APPROVED' } });
    expect(approved.json().data).toMatchObject({ approvalStatus: 'APPROVED', isActive: false });
    const activated = await app.inject({ method: 'PATCH', url: `/internal/users/${registrant.id}`, headers: admin, payload: { isActive: true } });
    expect(activated.json().data).toMatchObject({ approvalStatus: 'APPROVED', isActive: true });

    // Approved mail only on the first transition to APPROVED.
    await app.inject({ method: 'PATCH', url: `/internal/users/${registrant.id}`, headers: admin, payload: { approvalStatus: 'PENDING' } });
    await app.inject({ method: 'PATCH', url: `/internal/users/${registrant.id}`, headers: admin, payload: { approvalStatus: 'APPROVED' } });
    expect(outbox('reg@example.com').map((m) => m.template)).toEqual(['account-approved']);

    const assigned = await app.inject({ method: 'POST', url: `/internal/companies/${company.id}/memberships`, headers: admin, payload: { userId: registrant.id, role: 'ADMIN' } });
    expect(assigned.statusCode).toBe(200);
    const own = bearer((await signIn(t.deps, registrant.id)).accessToken);
    expect((await app.inject({ method: 'GET', url: `/internal/companies/${company.id}/users`, headers: own })).statusCode).toBe(200);
    expect(auditTypes(t.master.id)).toEqual(expect.arrayContaining(['user.approved', 'user.enabled', 'user.updated']));
  });

  it('Procedure C: a membership change takes effect at once, without a new token', async () => {
    const user = await createUser(t.deps, { email: 'c@example.com', fullName: 'C', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    const token = bearer((await signIn(t.deps, user.id)).accessToken);
    const url = `/internal/companies/${company.id}`;
    await app.inject({ method: 'POST', url: `${url}/memberships`, headers: admin, payload: { userId: user.id, role: 'SUBMITTER' } });
    expect((await app.inject({ method: 'GET', url: `${url}/users`, headers: token })).statusCode).toBe(403);

    const again = await app.inject({ method: 'POST', url: `${url}/memberships`, headers: admin, payload: { userId: user.id, role: 'FINANCE', approvalLimit: '2500.00' } });
    expect(again.json().data).toMatchObject({ role: 'FINANCE', approvalLimit: '2500.00', isActive: true });
    expect((await app.inject({ method: 'GET', url: `${url}/users`, headers: token })).statusCode).toBe(200);
    // The same token's /auth/me shows the new membership at once (fresh reads, nothing in the JWT).
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: token });
    expect(me.json().data.companyMemberships).toEqual([
      expect.objectContaining({ companyId: company.id, role: 'FINANCE', approvalLimit: '2500.00', isActive: true }),
    ]);

    const off = await app.inject({ method: 'POST', url: `${url}/memberships`, headers: admin, payload: { userId: user.id, role: 'FINANCE', isActive: false } });
    expect(off.json().data).toMatchObject({ isActive: false, approvalLimit: '2500.00' });
    expect((await app.inject({ method: 'GET', url: `${url}/users`, headers: token })).statusCode).toBe(403);
    const rows = t.deps.sqlite.prepare('SELECT COUNT(*) AS n FROM company_memberships WHERE user_id = ?').get(user.id) as { n: number };
    expect(rows.n).toBe(1);
  });

  it('changing the platform role: company admins may not; the old token gets 401; a fresh token carries the new role', async () => {
    const user = await createUser(t.deps, { email: 'promo@example.com', fullName: 'Promo', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    const companyAdmin = await createUser(t.deps, { email: 'ca@example.com', fullName: 'CA', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    const url = `/internal/companies/${company.id}/memberships`;
    await app.inject({ method: 'POST', url, headers: admin, payload: { userId: user.id, role: 'SUBMITTER' } });
    await app.inject({ method: 'POST', url, headers: admin, payload: { userId: companyAdmin.id, role: 'TENANT_SUPERADMIN' } });
    const caToken = bearer((await signIn(t.deps, companyAdmin.id)).accessToken);
    const refused = await app.inject({ method: 'PATCH', url: `/internal/users/${user.id}`, headers: caToken, payload: { globalRole: 'PLATFORM_MODERATOR' } });
    expect(refused.statusCode).toBe(403);

    const old = (await signIn(t.deps, user.id)).accessToken;
    expect(decodeJwt(old).globalRole).toBe('NONE');
    expect((await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(old) })).statusCode).toBe(403);

    const promoted = await app.inject({ method: 'PATCH', url: `/internal/users/${user.id}`, headers: admin, payload: { globalRole: 'PLATFORM_MODERATOR' } });
    expect(promoted.json().data).toMatchObject({ globalRole: 'PLATFORM_MODERATOR', tokenVersion: 2 });

    const stale = await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(old) });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('unauthorized');

    // Sessions are not revoked by a role change: a refresh (here: a new token on a session) shows the new role.
    const fresh = (await signIn(t.deps, user.id)).accessToken;
    expect(decodeJwt(fresh)).toMatchObject({ globalRole: 'PLATFORM_MODERATOR', roles: 'PlatformModerator', tokenVersion: 2 });
    expect((await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(fresh) })).statusCode).toBe(200);
    expect(t.deps.sqlite.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL').get(user.id)).toEqual({ n: 2 });
  });
});
