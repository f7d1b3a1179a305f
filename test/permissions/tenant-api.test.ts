import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { setDelegationPolicy, writeGrants } from '../../src/access/membership-access.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createActiveUser, createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

describe('tenant API: /t/{slug}/api/v1/ users, roles, groups, grants', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  let jane: UserRow;
  const tokens: Record<string, { authorization: string }> = {};
  const call = (method: Method, url: string, who?: string, payload?: unknown) =>
    app.inject({ method, url, headers: who ? tokens[who] : {}, ...(payload === undefined ? {} : { payload: payload as never }) });

  beforeAll(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    setCompanyEntitlements(t.deps, acme, ['basic', 'finance'], TEST_ACTOR);
    const people: Array<[string, UserRow]> = [
      ['superadmin', await createMember(t.deps, acme.id, 'owner@acme.test', 'TENANT_SUPERADMIN')],
      ['admin', await createMember(t.deps, acme.id, 'admin@acme.test', 'ADMIN')],
      ['manager', await createMember(t.deps, acme.id, 'manager@acme.test', 'MANAGER')],
      ['betaAdmin', await createMember(t.deps, beta.id, 'admin@beta.test', 'ADMIN')],
      ['moderator', await createActiveUser(t.deps, 'mod@platform.test', 'PLATFORM_MODERATOR')],
      ['platformAdmin', t.admin],
    ];
    for (const [who, user] of people) tokens[who] = bearer((await signIn(t.deps, user.id)).accessToken);
    jane = await createMember(t.deps, acme.id, 'jane@acme.test', 'SUBMITTER');
    tokens.jane = bearer((await signIn(t.deps, jane.id)).accessToken);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  // Read and write route of each resource; each write is one that succeeds from a clean state and is undone after.
  it.each([
    { who: 'superadmin', read: 200, write: 201 },
    { who: 'admin', read: 200, write: 201 },
    { who: 'platformAdmin', read: 200, write: 201 },
    { who: 'moderator', read: 200, write: 403 },
    { who: 'manager', read: 403, write: 403 },
    { who: 'betaAdmin', read: 403, write: 403 },
    { who: undefined, read: 401, write: 401 },
  ])('$who: read $read, write $write', async ({ who, read, write }) => {
    for (const url of ['/t/acme/api/v1/users', '/t/acme/api/v1/roles', '/t/acme/api/v1/groups', '/t/acme/api/v1/users/jane@acme.test/permissions']) {
      const res = await call('GET', url, who);
      expect(res.statusCode, `GET ${url}`).toBe(read);
      if (read >= 400) expect(res.json()).toMatchObject({ success: false, error: { code: read === 401 ? 'unauthorized' : 'forbidden' } });
    }
    const role = await call('POST', '/t/acme/api/v1/roles', who, { name: `probe-${who}`, permissions: ['probe:x'] });
    expect(role.statusCode).toBe(write);
    if (write === 201) expect((await call('DELETE', `/t/acme/api/v1/roles/probe-${who}`, 'superadmin')).statusCode).toBe(200);
    const group = await call('POST', '/t/acme/api/v1/groups', who, { name: `Probe ${who}` });
    expect(group.statusCode).toBe(write);
    if (write === 201) expect((await call('DELETE', `/t/acme/api/v1/groups/${encodeURIComponent(`Probe ${who}`)}`, 'superadmin')).statusCode).toBe(200);
    const grant = await call('POST', '/t/acme/api/v1/users/jane@acme.test/permissions', who, { permissions: ['probe:y'] });
    expect(grant.statusCode).toBe(write === 201 ? 200 : write);
    if (write === 201) expect((await call('DELETE', '/t/acme/api/v1/users/jane@acme.test/permissions/probe:y', 'superadmin')).statusCode).toBe(200);
  });

  it('builds roles and a group tree, explains jane’s permissions, and /auth/me/access reports the same set', async () => {
    const as = 'admin';
    expect((await call('POST', '/t/acme/api/v1/groups', as, { name: 'Engineering' })).statusCode).toBe(201);
    const backend = await call('POST', '/t/acme/api/v1/groups', as, { name: 'Backend', parent: 'Engineering' });
    expect(backend.json()).toMatchObject({ success: true, data: { name: 'Backend', path: ['Engineering', 'Backend'] } });
    await call('POST', '/t/acme/api/v1/groups', as, { name: 'On-call', parent: 'Backend' });
    expect((await call('POST', '/t/acme/api/v1/groups/On-call/members', as, { user: 'jane@acme.test' })).statusCode).toBe(201);
    const stranger = await call('POST', '/t/acme/api/v1/groups/On-call/members', as, { user: 'admin@beta.test' });
    expect([stranger.statusCode, stranger.json().error.code]).toEqual([404, 'not_found']);

    await call('POST', '/t/acme/api/v1/groups/Engineering/permissions', as, { permissions: ['deploy:prod', 'finance.report.view'] });
    await call('POST', '/t/acme/api/v1/roles', as, { name: 'editor', permissions: ['publish:article'] });
    expect((await call('POST', '/t/acme/api/v1/roles/editor/assignments', as, { group: 'Backend' })).statusCode).toBe(201);
    await call('POST', '/t/acme/api/v1/users/jane@acme.test/permissions', as, { permissions: ['publish:article'] });

    const explained = (await call('GET', '/t/acme/api/v1/users/jane@acme.test/permissions', as)).json().data;
    expect(explained.permissions).toEqual([
      { permission: 'deploy:prod', paths: ['group On-call → Backend → Engineering'] },
      { permission: 'publish:article', paths: ['direct', 'role editor via group On-call → Backend'] },
    ]);
    expect(explained.dropped).toEqual([{ permission: 'finance.report.view', module: 'finance', paths: ['group On-call → Backend → Engineering'] }]);

    const me = (await call('GET', '/auth/me/access', 'jane')).json().data;
    expect(me.companies[0].permissions).toEqual(explained.permissions.map((p: { permission: string }) => p.permission));
    // The module filter applies to every path alike: granting jane the finance module lets it through everywhere.
    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, jane.id, { modules: ['finance'] }, TEST_ACTOR))();
    expect((await call('GET', '/auth/me/access', 'jane')).json().data.companies[0].permissions).toEqual(['deploy:prod', 'finance.report.view', 'publish:article']);

    const member = (await call('GET', '/t/acme/api/v1/users/jane@acme.test', as)).json().data;
    expect(member).toMatchObject({ email: 'jane@acme.test', role: 'SUBMITTER', groups: ['Backend', 'Engineering', 'On-call'], realmRoles: ['editor'] });
    const listed = (await call('GET', '/t/acme/api/v1/users', as)).json().data as Array<{ email: string }>;
    expect(listed.map((m) => m.email)).toContain('jane@acme.test');

    const cycle = await call('PATCH', '/t/acme/api/v1/groups/Engineering', as, { parent: 'On-call' });
    expect([cycle.statusCode, cycle.json().error.code]).toEqual([409, 'conflict']);
    const withChildren = await call('DELETE', '/t/acme/api/v1/groups/Backend', as);
    expect([withChildren.statusCode, withChildren.json().error.code]).toEqual([409, 'conflict']);
    expect((await call('PATCH', '/t/acme/api/v1/groups/On-call', as, { parent: null })).json().data.path).toEqual(['On-call']);
    expect((await call('GET', '/auth/me/access', 'jane')).json().data.companies[0].permissions).toEqual(['publish:article']);

    expect((await call('DELETE', '/t/acme/api/v1/roles/editor/assignments/group/Backend', as)).statusCode).toBe(200);
    expect((await call('GET', '/t/acme/api/v1/roles/editor', as)).json().data.assignments).toEqual([]);
    expect((await call('DELETE', '/t/acme/api/v1/groups/Engineering?recursive=true', as)).json().data).toEqual({ deleted: ['Engineering', 'Backend'] });
    const missing = await call('GET', '/t/nope/api/v1/roles', as);
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'not_found']);
  });

  it('keeps an ADMIN inside its delegation (§15): no permission it does not control reaches anyone through roles or groups', async () => {
    setDelegationPolicy(t.deps, TEST_ACTOR, acme.id, { limits: { ADMIN: { modules: [], permissions: ['content.*'] } } });
    try {
      const as = 'admin';
      expect((await call('POST', '/t/acme/api/v1/roles', as, { name: 'writer', permissions: ['content.edit'] })).statusCode).toBe(201);
      const outside = await call('POST', '/t/acme/api/v1/roles', as, { name: 'deployer', permissions: ['deploy:prod'] });
      expect([outside.statusCode, outside.json().error.message]).toEqual([403, 'You do not control permission deploy:prod; nothing was changed']);
      expect((await call('PATCH', '/t/acme/api/v1/roles/writer', as, { permissions: ['content.edit', 'deploy:prod'] })).statusCode).toBe(403);

      // A group holding what the ADMIN does not control: it may not join it, nor put others in it.
      await call('POST', '/t/acme/api/v1/groups', 'superadmin', { name: 'Ops' });
      await call('POST', '/t/acme/api/v1/groups/Ops/permissions', 'superadmin', { permissions: ['deploy:prod'] });
      expect((await call('POST', '/t/acme/api/v1/groups/Ops/members', as, { user: 'admin@acme.test' })).statusCode).toBe(403);
      expect((await call('POST', '/t/acme/api/v1/groups/Ops/permissions', as, { permissions: ['deploy:staging'] })).statusCode).toBe(403);
      expect((await call('POST', '/t/acme/api/v1/groups', as, { name: 'Sub', parent: 'Ops' })).statusCode).toBe(201);
      expect((await call('POST', '/t/acme/api/v1/groups/Sub/members', as, { user: 'jane@acme.test' })).statusCode).toBe(403);
      // …and it reaches only members ranked at or below it.
      expect((await call('POST', '/t/acme/api/v1/roles/writer/assignments', as, { user: 'owner@acme.test' })).statusCode).toBe(403);
      expect((await call('POST', '/t/acme/api/v1/roles/writer/assignments', as, { user: 'jane@acme.test' })).statusCode).toBe(201);
      // TENANT_SUPERADMIN controls everything.
      expect((await call('POST', '/t/acme/api/v1/groups/Sub/members', 'superadmin', { user: 'jane@acme.test' })).statusCode).toBe(201);
    } finally {
      setDelegationPolicy(t.deps, TEST_ACTOR, acme.id, { limits: { ADMIN: null } });
    }
  });

  it('validates bodies (400) and documents every route with an operationId', async () => {
    expect((await call('POST', '/t/acme/api/v1/roles', 'admin', { name: 'has space' })).statusCode).toBe(400);
    expect((await call('POST', '/t/acme/api/v1/groups/x/permissions', 'admin', { permissions: [] })).statusCode).toBe(400);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const ours = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; description?: string }>>).filter(([p]) => p.startsWith('/t/{slug}/api/v1/') && !p.includes('oss-reports'));
    expect(ours.length).toBeGreaterThanOrEqual(12);
    for (const [p, ops] of ours) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${p}`).toBeTruthy();
        expect(op.description, `${method} ${p}`).toMatch(/Needs `[a-z]+:(read|write)`/);
      }
    }
  });
});
