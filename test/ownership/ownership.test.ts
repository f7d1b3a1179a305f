import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { removeCompanyMembership } from '../../src/memberships/memberships.ts';
import { getOwnership, listOwnerships, removeOwnership, setOwnership, transferOwnership } from '../../src/ownership/ownership.ts';
import { ownerActionsFor, setOwnerPolicy } from '../../src/ownership/owner-policy.ts';
import { createPaymentProfile } from '../../src/payments/profiles.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { cli } from '../support/cli.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createUser } from '../../src/identity/users.ts';
import type { CompanyRole } from '../../src/memberships/tables.ts';
import { addMember } from '../support/members.ts';

const PASSWORD = 'member-password-1';

const article = (id: string) => ({ app: 'cms', type: 'article', id });

describe('ownership registry', () => {
  let t: TestInstance;
  let acme: TenantRow;
  let beta: TenantRow;
  let jane: UserRow;
  let joe: UserRow;
  let leaver: UserRow;
  let outsider: UserRow;

  async function member(tenantId: string, email: string, role: CompanyRole): Promise<UserRow> {
    const user = await createUser(t.deps, { email, fullName: email, password: PASSWORD, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    addMember(t.deps, tenantId, user.id, role);
    return user;
  }

  const auditTypes = () =>
    (t.deps.sqlite.prepare("SELECT event_type FROM audit_entries WHERE tenant_id = ? AND event_type LIKE 'ownership.%' ORDER BY seq").pluck().all(acme.id) as string[]);

  beforeAll(async () => {
    t = await createTestInstance({ config: { rateLimitPerMinute: 10_000 } });
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    jane = await member(acme.id, 'jane@acme.test', 'SUBMITTER');
    joe = await member(acme.id, 'joe@acme.test', 'SUBMITTER');
    leaver = await member(acme.id, 'leaver@acme.test', 'SUBMITTER');
    outsider = await member(beta.id, 'out@beta.test', 'SUBMITTER');
  });
  afterAll(() => t.close());

  it('registers an owner once; the same owner again is a no-op, another owner is a 409 conflict', () => {
    const first = setOwnership(t.deps, acme.id, article('1'), { type: 'user', id: jane.id }, TEST_ACTOR);
    expect(first.created).toBe(true);
    expect(first.ownership).toMatchObject({ resource: article('1'), owner: { type: 'user', id: jane.id }, ownerPresent: true });
    expect(setOwnership(t.deps, acme.id, article('1'), { type: 'user', id: jane.id }, TEST_ACTOR).created).toBe(false);
    expect(() => setOwnership(t.deps, acme.id, article('1'), { type: 'user', id: joe.id }, TEST_ACTOR)).toThrow(/owned by user .*transfer it instead/);
    expect(auditTypes()).toEqual(['ownership.set']);
  });

  it.each([
    ['a user of another tenant', () => ({ type: 'user' as const, id: outsider.id }), /not an active member/],
    ['an unknown user', () => ({ type: 'user' as const, id: 'nobody' }), /not an active member/],
    ['an unknown owner type', () => ({ type: 'robot' as never, id: 'x' }), /owner.type must be one of/],
  ])('refuses %s as owner', (_name, owner, message) => {
    expect(() => setOwnership(t.deps, acme.id, article('refused'), owner(), TEST_ACTOR)).toThrow(message);
    expect(() => getOwnership(t.deps, acme.id, article('refused'))).toThrow(/not found/);
  });

  it.each([['cms', 'article', ''], ['cms', 'art icle', '1'], ['c\nms', 'article', '1'], ['cms', 'a'.repeat(201), '1']])(
    'refuses the resource %s/%s/%s',
    (app, type, id) => {
      expect(() => setOwnership(t.deps, acme.id, { app, type, id }, { type: 'user', id: jane.id }, TEST_ACTOR)).toThrow(/resource\.\w+ must be/);
    },
  );

  it('transfers with the old and the new owner in the audit entry, and forgets on delete', () => {
    setOwnership(t.deps, acme.id, article('2'), { type: 'user', id: jane.id }, TEST_ACTOR);
    expect(transferOwnership(t.deps, acme.id, article('2'), { type: 'user', id: joe.id }, TEST_ACTOR).owner.id).toBe(joe.id);
    const payload = JSON.parse(
      t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'ownership.transferred'").pluck().get(acme.id) as string,
    );
    expect(payload).toMatchObject({ resource: article('2'), from: { type: 'user', id: jane.id }, to: { type: 'user', id: joe.id } });
    removeOwnership(t.deps, acme.id, article('2'), TEST_ACTOR);
    expect(() => getOwnership(t.deps, acme.id, article('2'))).toThrow(/An owner of cms\/article\/2 not found/);
    expect(() => transferOwnership(t.deps, acme.id, article('2'), { type: 'user', id: jane.id }, TEST_ACTOR)).toThrow(/not found/);
  });

  it("tenants never see each other's registry", () => {
    expect(() => getOwnership(t.deps, beta.id, article('1'))).toThrow(/not found/);
    expect(listOwnerships(t.deps, beta.id).items).toEqual([]);
  });

  it('pages in key order, filters by owner, and lists resources of an owner who left as orphaned (never dropped)', () => {
    for (let i = 10; i < 15; i++) setOwnership(t.deps, acme.id, article(String(i)), { type: 'user', id: leaver.id }, TEST_ACTOR);
    const first = listOwnerships(t.deps, acme.id, { limit: 4 });
    const second = listOwnerships(t.deps, acme.id, { limit: 4, after: first.next! });
    const all = [...first.items, ...second.items].map((o) => o.resource.id);
    expect(all).toEqual(['1', '10', '11', '12', '13', '14']);
    expect(second.next).toBeNull();
    expect(listOwnerships(t.deps, acme.id, { owner: { type: 'user', id: jane.id } }).items.map((o) => o.resource.id)).toEqual(['1']);
    expect(listOwnerships(t.deps, acme.id, { orphaned: true }).items).toEqual([]);

    removeCompanyMembership(t.deps, TEST_ACTOR, acme.id, leaver.id);
    const orphans = listOwnerships(t.deps, acme.id, { orphaned: true, limit: 3 });
    expect(orphans.items.map((o) => [o.resource.id, o.ownerPresent])).toEqual([['10', false], ['11', false], ['12', false]]);
    expect(listOwnerships(t.deps, acme.id, { orphaned: true, limit: 3, after: orphans.next! }).items.map((o) => o.resource.id)).toEqual(['13', '14']);
    expect(getOwnership(t.deps, acme.id, article('10')).ownerPresent).toBe(false);
    // An admin hands them to someone still here.
    expect(transferOwnership(t.deps, acme.id, article('10'), { type: 'user', id: joe.id }, TEST_ACTOR).ownerPresent).toBe(true);
    expect(() => listOwnerships(t.deps, acme.id, { after: 'garbage' })).toThrow(/not a cursor/);
  });

  it('an owner policy per resource type: set, replaced, removed by an empty list, audited', () => {
    setOwnerPolicy(t.deps, acme.id, 'article', ['publish', 'edit', 'edit'], TEST_ACTOR);
    expect(ownerActionsFor(t.deps, acme.id, 'article')).toEqual(['edit', 'publish']);
    expect(ownerActionsFor(t.deps, beta.id, 'article')).toEqual([]);
    expect(setOwnerPolicy(t.deps, acme.id, 'article', [], TEST_ACTOR)).toBeNull();
    expect(ownerActionsFor(t.deps, acme.id, 'article')).toEqual([]);
    expect(() => setOwnerPolicy(t.deps, acme.id, 'article', ['Publish Now'], TEST_ACTOR)).toThrow(/not an action name/);
    const count = t.deps.sqlite.prepare("SELECT count(*) FROM audit_entries WHERE tenant_id = ? AND event_type = 'owner_policy.set'").pluck().get(acme.id);
    expect(count).toBe(2);
  });

  describe('over HTTP', () => {
    let app: App;
    const tokens: Record<string, string> = {};
    let tenantAdmin: UserRow;
    const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, who: string, payload?: unknown) =>
      app.inject({ method, url, payload: payload as never, headers: { authorization: `Bearer ${tokens[who]}` } });

    beforeAll(async () => {
      app = await buildServer(t.deps);
      tenantAdmin = await member(acme.id, 'admin@acme.test', 'ADMIN');
      const signIn = async (email: string, password: string) =>
        (await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password, accountType: '' } })).json().data.accessToken as string;
      tokens.platform = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
      for (const [who, email] of [['tenantAdmin', 'admin@acme.test'], ['jane', 'jane@acme.test'], ['joe', 'joe@acme.test'], ['outsider', 'out@beta.test']]) {
        tokens[who] = await signIn(email, PASSWORD);
      }
    });
    afterAll(() => app.close());

    it('a tenant admin registers (201, then 200), members read, outsiders are refused', async () => {
      const body = { owner: { type: 'user', id: jane.id } };
      expect((await call('PUT', '/t/acme/v1/ownership/cms/article/h1', 'tenantAdmin', body)).statusCode).toBe(201);
      expect((await call('PUT', '/t/acme/v1/ownership/cms/article/h1', 'tenantAdmin', body)).statusCode).toBe(200);
      const clash = await call('PUT', '/t/acme/v1/ownership/cms/article/h1', 'tenantAdmin', { owner: { type: 'user', id: joe.id } });
      expect([clash.statusCode, clash.json().error.code]).toEqual([409, 'conflict']);
      expect((await call('PUT', '/t/acme/v1/ownership/cms/article/h2', 'jane', body)).statusCode).toBe(403);
      const read = await call('GET', '/t/acme/v1/ownership/cms/article/h1', 'joe');
      expect(read.json().data.owner).toEqual({ type: 'user', id: jane.id });
      expect((await call('GET', '/t/acme/v1/ownership/cms/article/h1', 'outsider')).statusCode).toBe(403);
      const list = await call('GET', `/t/acme/v1/ownership?owner=user:${jane.id}`, 'platform');
      expect(list.json().data.items.map((o: { resource: { id: string } }) => o.resource.id)).toEqual(['1', 'h1']);
      expect((await call('GET', '/t/acme/v1/ownership?owner=nobody', 'platform')).statusCode).toBe(400);
    });

    it('the current owner transfers and removes; another member may not', async () => {
      await call('PUT', '/t/acme/v1/ownership/cms/article/h3', 'tenantAdmin', { owner: { type: 'user', id: jane.id } });
      const byJoe = await call('POST', '/t/acme/v1/ownership/cms/article/h3/transfer', 'joe', { owner: { type: 'user', id: joe.id } });
      expect(byJoe.statusCode).toBe(403);
      const byJane = await call('POST', '/t/acme/v1/ownership/cms/article/h3/transfer', 'jane', { owner: { type: 'user', id: joe.id } });
      expect(byJane.json().data.owner.id).toBe(joe.id);
      expect((await call('DELETE', '/t/acme/v1/ownership/cms/article/h3', 'jane')).statusCode).toBe(403);
      expect((await call('DELETE', '/t/acme/v1/ownership/cms/article/h3', 'joe')).statusCode).toBe(200);
      expect((await call('GET', '/t/acme/v1/ownership/cms/article/h3', 'joe')).statusCode).toBe(404);
    });

    it("answers where a resource's money goes: the owner's default payment profile, or 404", async () => {
      await call('PUT', '/t/acme/v1/ownership/shop/listing/p1', 'tenantAdmin', { owner: { type: 'user', id: joe.id } });
      const none = await call('GET', '/t/acme/v1/ownership/shop/listing/p1/payment-profile', 'jane');
      expect([none.statusCode, none.json().error.code]).toEqual([404, 'not_found']);
      expect(none.json().error.message).toMatch(/payment profile of user/);
      const profile = createPaymentProfile(t.deps, acme.id, { type: 'user', id: joe.id }, { country: 'BE', accounts: { stripe: 'acct_joe' } }, TEST_ACTOR);
      const found = await call('GET', '/t/acme/v1/ownership/shop/listing/p1/payment-profile', 'jane');
      expect(found.json().data).toMatchObject({ id: profile.id, accounts: { stripe: 'acct_joe' } });
      expect((await call('GET', '/t/acme/v1/ownership/shop/listing/unknown/payment-profile', 'jane')).statusCode).toBe(404);
    });
  });
});

describe('CLI: ownership and tenants owner-policy', () => {
  it('sets, shows, transfers and lists from the shell, with --json for scripts', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir.path, 'data');
    const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);
    try {
      expect((await run('init', '--yes')).code).toBe(0);
      expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
      const ids: string[] = [];
      for (const email of ['a@acme.test', 'b@acme.test']) {
        const id = (await run('users', 'create', '--email', email, '--name', email, '--json')).json<{ id: string }>().id;
        expect((await run('users', 'memberships', 'set', id, '--tenant', 'acme', '--role', 'SUBMITTER')).code).toBe(0);
        ids.push(id);
      }
      expect((await run('ownership', 'set', 'cms/article/42', '--tenant', 'acme', '--owner', `user:${ids[0]}`)).code).toBe(0);
      const shown = await run('--json', 'ownership', 'show', 'cms/article/42', '--tenant', 'acme');
      expect(shown.json()).toMatchObject({ owner: { type: 'user', id: ids[0] }, ownerPresent: true });
      expect((await run('ownership', 'transfer', 'cms/article/42', '--tenant', 'acme', '--to', `user:${ids[1]}`)).stdout).toContain(`user:${ids[1]}`);
      const listed = await run('ownership', 'list', '--tenant', 'acme');
      expect(listed.stdout).toMatch(/cms.*article.*42/);
      const bad = await run('ownership', 'show', 'cms-article-42', '--tenant', 'acme');
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/app\/type\/id/)]);
      expect((await run('tenants', 'owner-policy', 'set', 'acme', '--type', 'article', '--actions', 'publish,edit')).code).toBe(0);
      expect((await run('--json', 'tenants', 'owner-policy', 'show', 'acme')).json()).toMatchObject([{ resourceType: 'article', actions: ['edit', 'publish'] }]);
    } finally {
      dir.remove();
    }
  });
});
