import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createInvitation } from '../../src/invitations/invitations.ts';
import { upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { addMember, createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

/**
 * Issue 9 §1 extends the §5.1 table (admin-rbac-matrix.test.ts) across the tenant boundary: every Bearer
 * `/internal` route, the machine routes and every invitation route, for four relations between the caller and
 * what it acts on. Company A is the one acted on; `target` is a SUBMITTER of A, `outsider` a SUBMITTER of B only.
 *   same:   an ADMIN of A;
 *   other:  an ADMIN of B;
 *   shared: an ADMIN of A, the target a member of B whom a platform admin also put into A ("shared after upsert");
 *   staff:  a PLATFORM_ADMIN.
 */
const RELATIONS = ['same', 'other', 'shared', 'staff'] as const;
type Relation = (typeof RELATIONS)[number];
/** Expected status per relation, in RELATIONS order. */
type Row = [name: string, expected: [number, number, number, number], call: (c: Ctx) => Promise<{ statusCode: number; body: string }>];

interface Ctx {
  headers: { authorization: string };
  target: string;
  outsider: string;
  invitationInA: string;
  invitationInB: string;
}

describe('tenant boundary: every /internal and invitation route × {same company, other company, shared after upsert, platform staff}', () => {
  let t: TestInstance;
  let app: App;
  let a: TenantRow;
  let b: TenantRow;
  const auth = {} as Record<Relation, { authorization: string }>;
  const BU = randomUUID();
  let n = 0;

  beforeAll(async () => {
    t = await createTestInstance({ config: { internalApiKey: 'internal-key-for-tests-0123456789' } });
    app = await buildServer(t.deps);
    a = await createTenant(t.deps, { slug: 'company-a', name: 'A' }, TEST_ACTOR);
    b = await createTenant(t.deps, { slug: 'company-b', name: 'B' }, TEST_ACTOR);
    const adminA = await createMember(t.deps, a.id, 'admin@a.test', 'ADMIN');
    const adminB = await createMember(t.deps, b.id, 'admin@b.test', 'ADMIN');
    auth.same = auth.shared = bearer((await signIn(t.deps, adminA.id)).accessToken);
    auth.other = bearer((await signIn(t.deps, adminB.id)).accessToken);
    auth.staff = bearer((await signIn(t.deps, t.admin.id)).accessToken);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  async function context(relation: Relation): Promise<Ctx> {
    const id = ++n;
    const target = await createMember(t.deps, relation === 'shared' ? b.id : a.id, `target${id}@example.com`, 'SUBMITTER');
    if (relation === 'shared') addMember(t.deps, a.id, target.id, 'SUBMITTER');
    const outsider = await createMember(t.deps, b.id, `outsider${id}@example.com`, 'SUBMITTER');
    const invite = (companyId: string, email: string) => createInvitation(t.deps, TEST_ACTOR, companyId, { email, role: 'SUBMITTER' });
    return {
      headers: auth[relation],
      target: target.id,
      outsider: outsider.id,
      invitationInA: (await invite(a.id, `invited-a${id}@example.com`)).invitation.id,
      invitationInB: (await invite(b.id, `invited-b${id}@example.com`)).invitation.id,
    };
  }

  const company = () => `/internal/companies/${a.id}`;
  const xOrg = (c: Ctx) => ({ ...c.headers, 'x-org': a.id });
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string>, payload?: object) =>
    app.inject({ method, url, headers, payload });

  const ROWS: Row[] = [
    ['GET /internal/users', [403, 403, 403, 200], (c) => inject('GET', '/internal/users', c.headers)],
    ['POST /internal/users', [403, 403, 403, 201], (c) => inject('POST', '/internal/users', c.headers, { email: `new${++n}@example.com`, fullName: 'New' })],
    ['PATCH /internal/users/{target} fullName', [200, 404, 403, 200], (c) => inject('PATCH', `/internal/users/${c.target}`, c.headers, { fullName: 'Renamed' })],
    [
      'PATCH /internal/users/{target} email + password',
      [200, 404, 403, 200],
      (c) => inject('PATCH', `/internal/users/${c.target}`, c.headers, { email: `moved${++n}@example.com`, password: 'a-new-password-1' }),
    ],
    ['PATCH /internal/users/{target} isActive', [200, 404, 403, 200], (c) => inject('PATCH', `/internal/users/${c.target}`, c.headers, { isActive: false })],
    ['PATCH /internal/users/{target} approvalStatus', [200, 404, 403, 200], (c) => inject('PATCH', `/internal/users/${c.target}`, c.headers, { approvalStatus: 'REJECTED' })],
    ['DELETE /internal/users/{target}', [200, 404, 403, 200], (c) => inject('DELETE', `/internal/users/${c.target}`, c.headers)],
    ['GET …/companies/A/users', [200, 403, 200, 200], (c) => inject('GET', `${company()}/users`, c.headers)],
    [
      'POST …/companies/A/memberships {target}: membership-level fields',
      [200, 403, 200, 200],
      (c) => inject('POST', `${company()}/memberships`, c.headers, { userId: c.target, role: 'SUBMITTER', isActive: false, approvalLimit: '5.00', metadata: { k: 1 } }),
    ],
    ['POST …/companies/A/memberships {outsider}: adds a member of B', [403, 403, 403, 200], (c) => inject('POST', `${company()}/memberships`, c.headers, { userId: c.outsider, role: 'SUBMITTER' })],
    ['GET …/business-units/{bu}/users', [200, 403, 200, 200], (c) => inject('GET', `${company()}/business-units/${BU}/users`, c.headers)],
    ['POST …/business-units/{bu}/memberships {target}', [200, 403, 200, 200], (c) => inject('POST', `${company()}/business-units/${BU}/memberships`, c.headers, { userId: c.target, role: 'APPROVER' })],
    [
      'POST …/business-units/{bu}/memberships {outsider}',
      [403, 403, 403, 200],
      (c) => inject('POST', `${company()}/business-units/${BU}/memberships`, c.headers, { userId: c.outsider, role: 'APPROVER' }),
    ],
    ['GET …/users/{target}/access', [200, 403, 200, 200], (c) => inject('GET', `${company()}/users/${c.target}/access`, c.headers)],
    ['PUT …/users/{target}/access', [200, 403, 200, 200], (c) => inject('PUT', `${company()}/users/${c.target}/access`, c.headers, { modules: [], permissions: [] })],
    ['GET …/delegation-limits', [200, 403, 200, 200], (c) => inject('GET', `${company()}/delegation-limits`, c.headers)],
    ['PUT …/delegation-limits', [403, 403, 403, 200], (c) => inject('PUT', `${company()}/delegation-limits`, c.headers, { managersMayInvite: false })],
    ['GET …/entitlements', [403, 403, 403, 200], (c) => inject('GET', `${company()}/entitlements`, c.headers)],
    ['PUT …/entitlements', [403, 403, 403, 200], (c) => inject('PUT', `${company()}/entitlements`, c.headers, { modules: ['basic'] })],
    ['POST /internal/users/{target}/revoke-all with a Bearer token only', [403, 403, 403, 403], (c) => inject('POST', `/internal/users/${c.target}/revoke-all`, c.headers)],
    ['GET /internal/users/{target}/context with a Bearer token only', [403, 403, 403, 403], (c) => inject('GET', `/internal/users/${c.target}/context`, c.headers)],
    ['POST /auth/invitations (x-org A) a new email', [201, 403, 201, 201], (c) => inject('POST', '/auth/invitations', xOrg(c), { email: `fresh${++n}@example.com`, role: 'SUBMITTER' })],
    [
      'POST /auth/invitations (x-org A) the outsider: the consent path stays open',
      [201, 403, 201, 201],
      async (c) => {
        const email = (await inject('GET', `/internal/users/${c.outsider}/context`, { 'x-internal-api-key': 'internal-key-for-tests-0123456789' })).json().data.email;
        return inject('POST', '/auth/invitations', xOrg(c), { email, role: 'SUBMITTER' });
      },
    ],
    ['GET /auth/invitations (x-org A)', [200, 403, 200, 200], (c) => inject('GET', '/auth/invitations', xOrg(c))],
    ['GET /auth/invitations/{A invitation}', [200, 403, 200, 200], (c) => inject('GET', `/auth/invitations/${c.invitationInA}`, xOrg(c))],
    ['POST /auth/invitations/{A invitation}/resend', [200, 403, 200, 200], (c) => inject('POST', `/auth/invitations/${c.invitationInA}/resend`, xOrg(c))],
    ['DELETE /auth/invitations/{A invitation}', [200, 403, 200, 200], (c) => inject('DELETE', `/auth/invitations/${c.invitationInA}`, xOrg(c))],
    ['GET /auth/invitations/{B invitation} with x-org A', [404, 403, 404, 404], (c) => inject('GET', `/auth/invitations/${c.invitationInB}`, xOrg(c))],
    ['DELETE /auth/invitations/{B invitation} with x-org A', [404, 403, 404, 404], (c) => inject('DELETE', `/auth/invitations/${c.invitationInB}`, xOrg(c))],
  ];

  const cases = ROWS.flatMap(([name, expected, call]) => RELATIONS.map((relation, i) => [name, relation, expected[i], call] as const));

  it.each(cases)('%s — %s → %i', async (_name, relation, status, call) => {
    const res = await call(await context(relation));
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) expect(JSON.parse(res.body).error.code).toBe(status === 404 ? 'not_found' : 'forbidden');
  });

  it('a refused cross-company change leaves the target exactly as it was', async () => {
    const c = await context('shared');
    const before = (await inject('GET', `/internal/users/${c.target}/context`, { 'x-internal-api-key': 'internal-key-for-tests-0123456789' })).json().data;
    for (const payload of [{ email: 'x@evil.test' }, { password: 'a-new-password-1' }, { fullName: 'X' }, { isActive: false }]) {
      expect((await inject('PATCH', `/internal/users/${c.target}`, c.headers, payload)).statusCode).toBe(403);
    }
    expect((await inject('DELETE', `/internal/users/${c.target}`, c.headers)).statusCode).toBe(403);
    const after = (await inject('GET', `/internal/users/${c.target}/context`, { 'x-internal-api-key': 'internal-key-for-tests-0123456789' })).json().data;
    expect(after).toEqual(before);
  });

  it('the refusal names the invitation path, and platform staff may still upsert a member of another company', async () => {
    const c = await context('same');
    const refused = await inject('POST', `${company()}/memberships`, c.headers, { userId: c.outsider, role: 'SUBMITTER' });
    expect(refused.json().error.message).toMatch(/invitation \(POST \/auth\/invitations\)/);
    expect(upsertCompanyMembership(t.deps, TEST_ACTOR, a.id, { userId: c.outsider, role: 'SUBMITTER' })).toMatchObject({ companyId: a.id });
  });
});
