import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, findUserById } from '../../src/identity/users.ts';
import type { GlobalRole } from '../../src/identity/tables.ts';
import { upsertBusinessUnitMembership, upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import type { CompanyRole } from '../../src/memberships/tables.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { bearer, signIn } from '../support/tokens.ts';

/**
 * Seed 002 §5.1, row by row: every actor × every route and PATCH field, allowed (2xx), 403 forbidden, or 404
 * when the target is a user the actor may not see (issue 9 §1: like an unknown id). The target is a SUBMITTER
 * of company A; "same" actors hold their role in A, "other" actors in B. For "same company, target shared"
 * the target is a SUBMITTER of B whom a platform admin also put into A: the actor keeps the membership-level
 * routes in A but no longer reaches the account (issue 9 §1).
 */
type Route =
  | 'listUsers'
  | 'createUser'
  | `patch:${PatchField}`
  | 'deleteUser'
  | 'listCompanyUsers'
  | 'upsertCompanyMembership'
  | 'listBusinessUnitUsers'
  | 'upsertBusinessUnitMembership';
type PatchField = 'email' | 'password' | 'fullName' | 'phoneNumber' | 'profilePictureUrl' | 'authProvider' | 'globalRole' | 'approvalStatus' | 'isActive';

const PATCH_VALUES: Record<PatchField, unknown> = {
  email: 'renamed@example.com',
  password: 'a-new-password-1',
  fullName: 'Renamed Person',
  phoneNumber: '+49 30 1234567',
  profilePictureUrl: 'https://cdn.example.com/p.png',
  authProvider: 'google',
  globalRole: 'PLATFORM_MODERATOR',
  approvalStatus: 'REJECTED',
  isActive: false,
};
const FIELDS = Object.keys(PATCH_VALUES) as PatchField[];
const ROUTES: Route[] = [
  'listUsers',
  'createUser',
  ...FIELDS.map((f) => `patch:${f}` as Route),
  'deleteUser',
  'listCompanyUsers',
  'upsertCompanyMembership',
  'listBusinessUnitUsers',
  'upsertBusinessUnitMembership',
];

const ALL = new Set<Route>(ROUTES);
const NONE = new Set<Route>();
const COMPANY_ADMIN_ROW = new Set<Route>([
  ...FIELDS.filter((f) => f !== 'globalRole').map((f) => `patch:${f}` as Route),
  'deleteUser',
  'listCompanyUsers',
  'upsertCompanyMembership',
  'listBusinessUnitUsers',
  'upsertBusinessUnitMembership',
]);

/** The §5.1 table, written out by hand (not derived from the code under test). */
const ALLOWED: Record<string, Set<Route>> = {
  PLATFORM_SUPERADMIN: ALL,
  PLATFORM_ADMIN: ALL,
  PLATFORM_MODERATOR: new Set<Route>(['listUsers', 'patch:approvalStatus', 'listCompanyUsers', 'listBusinessUnitUsers']),
  'NONE without membership': NONE,
  'TENANT_SUPERADMIN same company': COMPANY_ADMIN_ROW,
  'FINANCE same company': COMPANY_ADMIN_ROW,
  'ADMIN same company': COMPANY_ADMIN_ROW,
  'MANAGER same company': new Set<Route>(['patch:approvalStatus', 'patch:isActive', 'listCompanyUsers', 'listBusinessUnitUsers']),
  'SUBMITTER same company': NONE,
  'TENANT_SUPERADMIN other company': NONE,
  'FINANCE other company': NONE,
  'ADMIN other company': NONE,
  'MANAGER other company': NONE,
  'SUBMITTER other company': NONE,
  'TENANT_SUPERADMIN same company, target shared': new Set<Route>(['listCompanyUsers', 'upsertCompanyMembership', 'listBusinessUnitUsers', 'upsertBusinessUnitMembership']),
  'ADMIN same company, target shared': new Set<Route>(['listCompanyUsers', 'upsertCompanyMembership', 'listBusinessUnitUsers', 'upsertBusinessUnitMembership']),
  'MANAGER same company, target shared': new Set<Route>(['listCompanyUsers', 'listBusinessUnitUsers']),
};

const COMPANY_ROLES: CompanyRole[] = ['TENANT_SUPERADMIN', 'FINANCE', 'ADMIN', 'MANAGER', 'SUBMITTER'];
/** Actors to whom the target is unknown: PATCH and DELETE of it are 404, word for word as for a made-up id. */
const TARGET_UNSEEN = new Set(['NONE without membership', ...COMPANY_ROLES.map((r) => `${r} other company`)]);
const USER_ROUTES = (route: Route) => route.startsWith('patch:') || route === 'deleteUser';
const OPERATOR = TEST_ACTOR;
const BU = randomUUID();

describe('§5.1 RBAC matrix over HTTP', () => {
  let t: TestInstance;
  let app: App;
  let companyA: TenantRow;
  let companyB: TenantRow;
  const tokens = new Map<string, string>();
  let n = 0;

  async function member(company: TenantRow, role: CompanyRole, globalRole: GlobalRole = 'NONE'): Promise<string> {
    const user = await createUser(
      t.deps,
      { email: `u${++n}@example.com`, fullName: `User ${n}`, globalRole, approvalStatus: 'APPROVED', isActive: true },
      TEST_ACTOR,
    );
    // MANAGER needs an active business-unit membership first (§5.1).
    upsertBusinessUnitMembership(t.deps, OPERATOR, company.id, BU, { userId: user.id, role: 'SUBMITTER' });
    upsertCompanyMembership(t.deps, OPERATOR, company.id, { userId: user.id, role });
    return user.id;
  }

  beforeAll(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    companyA = await createTenant(t.deps, { slug: 'company-a', name: 'A' }, TEST_ACTOR);
    companyB = await createTenant(t.deps, { slug: 'company-b', name: 'B' }, TEST_ACTOR);
    const staff = async (role: GlobalRole) =>
      (await createUser(t.deps, { email: `${role.toLowerCase()}@example.com`, fullName: role, globalRole: role, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR)).id;
    const ids: Record<string, string> = {
      PLATFORM_SUPERADMIN: t.admin.id,
      PLATFORM_ADMIN: await staff('PLATFORM_ADMIN'),
      PLATFORM_MODERATOR: await staff('PLATFORM_MODERATOR'),
      'NONE without membership': await staff('NONE'),
    };
    for (const role of COMPANY_ROLES) {
      ids[`${role} same company`] = await member(companyA, role);
      ids[`${role} other company`] = await member(companyB, role);
    }
    for (const role of ['TENANT_SUPERADMIN', 'ADMIN', 'MANAGER'] as const) ids[`${role} same company, target shared`] = ids[`${role} same company`];
    for (const [name, id] of Object.entries(ids)) tokens.set(name, (await signIn(t.deps, id)).accessToken);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  async function call(actor: string, route: Route) {
    const target = await member(actor.endsWith('target shared') ? companyB : companyA, 'SUBMITTER');
    // Shared after an upsert by platform staff: the target belongs to B and, since then, also to A.
    if (actor.endsWith('target shared')) upsertCompanyMembership(t.deps, OPERATOR, companyA.id, { userId: target, role: 'SUBMITTER' });
    const headers = bearer(tokens.get(actor)!);
    const base = `/internal/companies/${companyA.id}`;
    if (route.startsWith('patch:')) {
      const field = route.slice('patch:'.length) as PatchField;
      const value = field === 'email' ? `renamed-${target.slice(0, 8)}@example.com` : PATCH_VALUES[field];
      return app.inject({ method: 'PATCH', url: `/internal/users/${target}`, headers, payload: { [field]: value } });
    }
    switch (route) {
      case 'listUsers':
        return app.inject({ method: 'GET', url: '/internal/users', headers });
      case 'createUser':
        return app.inject({ method: 'POST', url: '/internal/users', headers, payload: { email: `new-${++n}@example.com`, fullName: 'New' } });
      case 'deleteUser':
        return app.inject({ method: 'DELETE', url: `/internal/users/${target}`, headers });
      case 'listCompanyUsers':
        return app.inject({ method: 'GET', url: `${base}/users`, headers });
      case 'upsertCompanyMembership':
        return app.inject({ method: 'POST', url: `${base}/memberships`, headers, payload: { userId: target, role: 'SUBMITTER', isActive: true } });
      case 'listBusinessUnitUsers':
        return app.inject({ method: 'GET', url: `${base}/business-units/${BU}/users`, headers });
      case 'upsertBusinessUnitMembership':
        return app.inject({ method: 'POST', url: `${base}/business-units/${BU}/memberships`, headers, payload: { userId: target, role: 'APPROVER' } });
    }
    throw new Error(route);
  }

  const outcome = (actor: string, route: Route) =>
    ALLOWED[actor].has(route) ? 'allowed' : TARGET_UNSEEN.has(actor) && USER_ROUTES(route) ? 'not_found' : 'forbidden';
  const cases = Object.keys(ALLOWED).flatMap((actor) => ROUTES.map((route) => [actor, route, outcome(actor, route)] as const));

  it.each(cases)('%s → %s: %s', async (actor, route, expected) => {
    const res = await call(actor, route);
    if (expected === 'allowed') {
      expect(res.statusCode, res.body).toBeLessThan(300);
      expect(res.json().success).toBe(true);
    } else if (expected === 'not_found') {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    } else {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
  });

  it('a refused PATCH changes nothing, even when it mixes allowed and refused fields', async () => {
    const target = await member(companyA, 'SUBMITTER');
    const res = await app.inject({
      method: 'PATCH',
      url: `/internal/users/${target}`,
      headers: bearer(tokens.get('MANAGER same company')!),
      payload: { isActive: false, fullName: 'Not Allowed' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/fullName/);
    expect(findUserById(t.deps, target)).toMatchObject({ isActive: true, fullName: expect.stringMatching(/^User /) });
  });

  it('tenant isolation: an ADMIN of company A can read or change nothing of company B', async () => {
    const adminOfA = bearer(tokens.get('ADMIN same company')!);
    const targetInB = await member(companyB, 'SUBMITTER');
    const before = findUserById(t.deps, targetInB)!;
    const base = `/internal/companies/${companyB.id}`;
    const attempts = [
      app.inject({ method: 'GET', url: `${base}/users`, headers: adminOfA }),
      app.inject({ method: 'GET', url: `${base}/business-units/${BU}/users`, headers: adminOfA }),
      app.inject({ method: 'POST', url: `${base}/memberships`, headers: adminOfA, payload: { userId: targetInB, role: 'ADMIN' } }),
      app.inject({ method: 'POST', url: `${base}/business-units/${BU}/memberships`, headers: adminOfA, payload: { userId: targetInB, role: 'ADMIN' } }),
      app.inject({ method: 'PATCH', url: `/internal/users/${targetInB}`, headers: adminOfA, payload: { fullName: 'Taken Over' } }),
      app.inject({ method: 'PATCH', url: `/internal/users/${targetInB}`, headers: adminOfA, payload: { isActive: false } }),
      app.inject({ method: 'DELETE', url: `/internal/users/${targetInB}`, headers: adminOfA }),
      app.inject({ method: 'GET', url: '/internal/users', headers: adminOfA }),
    ];
    // The user routes answer 404: targetInB is unknown to A's admin, as a made-up id would be (issue 9 §1).
    const unseen = new Set([4, 5, 6]);
    for (const [i, res] of (await Promise.all(attempts)).entries()) {
      expect(res.statusCode, res.body).toBe(unseen.has(i) ? 404 : 403);
      expect(res.json().error.code).toBe(unseen.has(i) ? 'not_found' : 'forbidden');
    }
    expect(findUserById(t.deps, targetInB)).toEqual(before);
    // Listing A shows A's members only, and only A's membership rows of each.
    const listA = await app.inject({ method: 'GET', url: `/internal/companies/${companyA.id}/users`, headers: adminOfA });
    const usersA = listA.json().data.users as Array<{ id: string; memberships: { companyMemberships: Array<{ companyId: string }> } }>;
    expect(usersA.map((u) => u.id)).not.toContain(targetInB);
    for (const u of usersA) expect(u.memberships.companyMemberships.every((m) => m.companyId === companyA.id)).toBe(true);
  });
});
