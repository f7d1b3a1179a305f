import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccess, checkAccessBatch, type CheckInput } from '../../src/access-checks/decisions.ts';
import { TenantTokenVerifier } from '../../src/tokens/tenant-tokens.ts';
import { exchangeAgentToken, tenantIssuer } from '../../src/agents/agent-tokens.ts';
import { buildTenantClaims } from '../../src/claims/tenant-claims.ts';
import { patchUser } from '../../src/identity/user-admin.ts';
import { removeCompanyMembership } from '../../src/memberships/memberships.ts';
import { signJws } from '../../src/tokens/tenant-jws.ts';
import { createAgent, revokeAgent } from '../../src/agents/agents.ts';
import { writeGrants } from '../../src/access/membership-access.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { ownerIsPresent, setOwnership } from '../../src/ownership/ownership.ts';
import { setOwnerPolicy } from '../../src/ownership/owner-policy.ts';
import { addGroupMember, createGroup, deleteGroup } from '../../src/permissions/groups.ts';
import { ownerStanding } from '../../src/agents/owners.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

const article = (id: string) => ({ app: 'cms', type: 'article', id });

describe('the authorization check (POST /t/{slug}/v1/authorize)', () => {
  let t: TestInstance;
  let acme: TenantRow;
  let verifier: TenantTokenVerifier;
  const people: Record<string, UserRow> = {};
  const tokens: Record<string, string> = {};
  let editorsId = '';
  let onCallId = '';
  let outsiderId = '';

  const grant = (who: UserRow, permissions: string[]) =>
    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, who.id, { permissions }, TEST_ACTOR))();
  const check = (subject: CheckInput['subject'], action: string, id: string) => checkAccess(t.deps, acme, verifier, { subject, action, resource: article(id) });

  beforeAll(async () => {
    t = await createTestInstance();
    verifier = new TenantTokenVerifier(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    for (const name of ['owner', 'editor', 'member', 'deepMember', 'stranger']) people[name] = await createMember(t.deps, acme.id, `${name}@acme.test`, 'SUBMITTER');
    outsiderId = (await createMember(t.deps, beta.id, 'outsider@beta.test', 'SUBMITTER')).id;
    const op = cliOperator();
    editorsId = createGroup(t.deps, op, 'acme', { name: 'Editors' }).id;
    onCallId = createGroup(t.deps, op, 'acme', { name: 'On-call', parent: 'Editors' }).id;
    await addGroupMember(t.deps, op, 'acme', 'Editors', people.member.id);
    await addGroupMember(t.deps, op, 'acme', 'On-call', people.deepMember.id);
    grant(people.editor, ['publish:article']);
    grant(people.owner, ['publish:article', 'read:catalog']);
    setOwnerPolicy(t.deps, acme.id, 'article', ['edit', 'publish'], TEST_ACTOR);
    setOwnership(t.deps, acme.id, article('mine'), { type: 'user', id: people.owner.id }, TEST_ACTOR);
    setOwnership(t.deps, acme.id, article('ours'), { type: 'group', id: editorsId }, TEST_ACTOR);

    const withPublish = createAgent(t.deps, acme, { name: 'publisher', owner: { type: 'user', id: people.owner.id }, permissions: ['publish:article'], audiences: ['cms'] }, TEST_ACTOR);
    const withoutPublish = createAgent(t.deps, acme, { name: 'reader', owner: { type: 'user', id: people.owner.id }, permissions: ['read:catalog'], audiences: ['cms'] }, TEST_ACTOR);
    tokens.publisherId = withPublish.agent.id;
    tokens.publisher = (await exchangeAgentToken(t.deps, 'acme', withPublish.token)).access_token;
    tokens.reader = (await exchangeAgentToken(t.deps, 'acme', withoutPublish.token)).access_token;
  });
  afterAll(() => t.close());

  it.each([
    ['the owner, by the owner policy', 'owner', 'edit', 'mine', true, ['owner']],
    ['the owner, by permission and ownership', 'owner', 'publish', 'mine', true, ['permission', 'owner']],
    ['the owner, an action the policy does not give', 'owner', 'delete', 'mine', false, []],
    ['an editor by permission on any article', 'editor', 'publish', 'mine', true, ['permission']],
    ['an editor, no permission to edit and not the owner', 'editor', 'edit', 'mine', false, []],
    ['a member of the owning group', 'member', 'edit', 'ours', true, ['owner']],
    ['a member of a sub-group of the owning group', 'deepMember', 'edit', 'ours', true, ['owner']],
    ['a stranger', 'stranger', 'edit', 'mine', false, []],
    ['a stranger on a group resource', 'stranger', 'edit', 'ours', false, []],
  ])('%s', (_name, who, action, id, allowed, via) => {
    const decision = check({ type: 'user', id: people[who].id }, action, id);
    expect(decision.allowed).toBe(allowed);
    expect(decision.via.map((v) => v.type)).toEqual(via);
    expect(decision.reason).toMatch(allowed ? /^Allowed: / : /^Denied: /);
  });

  it.each([
    ['an agent of the owner, within its grants', 'publisher', 'publish', 'mine', true],
    ['an agent of the owner, beyond its grants (owning adds nothing)', 'reader', 'edit', 'mine', false],
    ['an agent of the owner, on a resource its owner does not own', 'reader', 'edit', 'ours', false],
  ])('%s (token subject)', (_name, agent, action, id, allowed) => {
    expect(check(tokens[agent], action, id).allowed).toBe(allowed);
  });

  it('the group itself (act-as sessions), and cross-tenant or unknown subjects are denied', () => {
    expect(check({ type: 'group', id: editorsId }, 'edit', 'ours').allowed).toBe(true);
    expect(check({ type: 'group', id: onCallId }, 'edit', 'ours').allowed).toBe(true);
    const outsider = check({ type: 'user', id: outsiderId }, 'publish', 'mine');
    expect(outsider).toMatchObject({ allowed: false, reason: expect.stringMatching(/not an active member/) });
    expect(check({ type: 'group', id: 'nope' }, 'edit', 'ours').allowed).toBe(false);
    expect(check('not.a.token', 'publish', 'mine')).toMatchObject({ allowed: false, reason: expect.stringMatching(/not a live access token/) });
  });

  it("a revoked agent's token stops counting at once", () => {
    expect(check(tokens.publisher, 'publish', 'mine').allowed).toBe(true);
    revokeAgent(t.deps, acme.id, tokens.publisherId, TEST_ACTOR);
    expect(check(tokens.publisher, 'publish', 'mine')).toMatchObject({ allowed: false, reason: expect.stringMatching(/revoked/) });
  });

  // The check reads whether an agent may act on every call (a verified token signature is remembered, nothing else).
  it.each([
    ['is deactivated', (u: UserRow) => patchUser(t.deps, cliOperator(), u.id, { isActive: false })],
    ['left the tenant', (u: UserRow) => removeCompanyMembership(t.deps, TEST_ACTOR, acme.id, u.id)],
  ])("an agent's token stops counting at once when its owner %s, on what the owner owns too", async (name, change) => {
    const owner = await createMember(t.deps, acme.id, `agent-owner-${name.replace(/\W/g, '')}@acme.test`, 'SUBMITTER');
    grant(owner, ['publish:article']);
    setOwnership(t.deps, acme.id, article(`of-${owner.id}`), { type: 'user', id: owner.id }, TEST_ACTOR);
    const agent = createAgent(t.deps, acme, { name: `agent-${owner.id}`, owner: { type: 'user', id: owner.id }, permissions: ['publish:article'], audiences: ['cms'] }, TEST_ACTOR);
    const token = (await exchangeAgentToken(t.deps, 'acme', agent.token)).access_token;
    expect(check(token, 'publish', `of-${owner.id}`).via.map((v) => v.type)).toEqual(['permission', 'owner']);
    await change(owner);
    expect(check(token, 'publish', `of-${owner.id}`)).toMatchObject({ allowed: false, reason: expect.stringMatching(/its owner is gone/) });
  });

  it('a resource whose owner left the tenant is owned by nobody, even for a token of theirs that is still live', async () => {
    const leaver = await createMember(t.deps, acme.id, 'leaver@acme.test', 'SUBMITTER');
    setOwnership(t.deps, acme.id, article('left'), { type: 'user', id: leaver.id }, TEST_ACTOR);
    // A member's tenant access token as the tenant issues them (the one claims builder, the tenant's key).
    const iat = t.deps.clock.nowSeconds();
    const claims = buildTenantClaims(t.deps, { tenant: acme, subject: { type: 'user', id: leaver.id }, scopes: [] });
    const token = await signJws({ ...claims, iss: tenantIssuer(t.deps, 'acme'), sub: leaver.id, aud: 'cms', iat, exp: iat + 300 }, t.deps.keyring.active(acme.id));
    expect(check(token, 'edit', 'left')).toMatchObject({ allowed: true, via: [{ type: 'owner', owner: { type: 'user', id: leaver.id } }] });
    removeCompanyMembership(t.deps, TEST_ACTOR, acme.id, leaver.id);
    expect(check(token, 'edit', 'left')).toMatchObject({ allowed: false, via: [] });
    const batch = checkAccessBatch(t.deps, acme, verifier, [
      { subject: token, action: 'edit', resource: article('left') },
      { subject: { type: 'user', id: people.owner.id }, action: 'edit', resource: article('mine') },
    ]);
    expect(batch.map((d) => d.allowed)).toEqual([false, true]);
  });

  // The check does not re-read the presence of the owner an agent was just found standing for: that rests on owner
  // standing (agents: account and membership) being the stricter rule, so whoever stands for an agent is present as
  // an owner (ownership: membership). The two differ for a deactivated account that is still a member.
  it.each([
    ['an active member', true, true, async () => ({ type: 'user' as const, id: (await createMember(t.deps, acme.id, 'standing-1@acme.test', 'SUBMITTER')).id })],
    ['a deactivated member', false, true, async () => {
      const u = await createMember(t.deps, acme.id, 'standing-2@acme.test', 'SUBMITTER');
      patchUser(t.deps, cliOperator(), u.id, { isActive: false });
      return { type: 'user' as const, id: u.id };
    }],
    ['a user who left', false, false, async () => {
      const u = await createMember(t.deps, acme.id, 'standing-3@acme.test', 'SUBMITTER');
      removeCompanyMembership(t.deps, TEST_ACTOR, acme.id, u.id);
      return { type: 'user' as const, id: u.id };
    }],
    ['a user of another tenant', false, false, async () => ({ type: 'user' as const, id: outsiderId })],
    ['a group', true, true, async () => ({ type: 'group' as const, id: editorsId })],
    ['a deleted group', false, false, async () => {
      const id = createGroup(t.deps, cliOperator(), 'acme', { name: `Gone-${Date.now()}` }).id;
      await deleteGroup(t.deps, cliOperator(), 'acme', id);
      return { type: 'group' as const, id };
    }],
  ])('an owner who stands for an agent is present as an owner: %s', async (_name, stands, present, make) => {
    const owner = await make();
    expect([ownerStanding(t.deps, acme.id, owner).present, ownerIsPresent(t.deps, acme.id, owner)]).toEqual([stands, present]);
  });

  it('a batch answers in order and refuses a bad action with a clear message', () => {
    const results = checkAccessBatch(t.deps, acme, verifier, [
      { subject: { type: 'user', id: people.owner.id }, action: 'edit', resource: article('mine') },
      { subject: { type: 'user', id: people.stranger.id }, action: 'edit', resource: article('mine') },
      { subject: { type: 'user', id: people.owner.id }, action: 'edit', resource: article('unowned') },
    ]);
    expect(results.map((r) => r.allowed)).toEqual([true, false, false]);
    expect(() => check({ type: 'user', id: people.owner.id }, 'Edit It', 'mine')).toThrow(/not an action/);
  });

  describe('over HTTP', () => {
    let app: App;
    let platform = '';
    beforeAll(async () => {
      app = await buildServer(t.deps);
      platform = (await app.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: '' } })).json().data.accessToken;
    });
    afterAll(() => app.close());

    it('platform staff ask one check or a batch; a plain member may not ask', async () => {
      const one = await app.inject({
        method: 'POST',
        url: '/t/acme/v1/authorize',
        headers: bearer(platform),
        payload: { subject: { type: 'user', id: people.owner.id }, action: 'edit', resource: article('mine') },
      });
      expect(one.json().data).toMatchObject({ allowed: true, via: [{ type: 'owner', owner: { type: 'user', id: people.owner.id } }] });
      const batch = await app.inject({
        method: 'POST',
        url: '/t/acme/v1/authorize',
        headers: bearer(platform),
        payload: { checks: [{ subject: tokens.reader, action: 'edit', resource: article('mine') }, { subject: { type: 'user', id: people.editor.id }, action: 'publish', resource: article('x') }] },
      });
      expect(batch.json().data.results.map((r: { allowed: boolean }) => r.allowed)).toEqual([false, true]);
      const member = await signIn(t.deps, people.member.id);
      const refused = await app.inject({ method: 'POST', url: '/t/acme/v1/authorize', headers: bearer(member.accessToken), payload: { subject: { type: 'user', id: people.member.id }, action: 'edit', resource: article('ours') } });
      expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'forbidden']);
    });
  });
});
