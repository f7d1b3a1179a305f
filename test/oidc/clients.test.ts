import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createActiveUser, createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';
import { decide } from '../../src/authorization/policy.ts';
import { userPrincipal } from '../../src/authorization/principal.ts';

describe('kimauth clients (CLI)', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.path, 'data');
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv]);
  beforeAll(async () => {
    expect((await run('init', '--yes')).code).toBe(0);
    expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
  });
  afterAll(() => dir.remove());

  it('creates, lists, shows, updates, rotates and deletes, with RFC 7591 names under --json', async () => {
    const pub = await run('clients', 'create', '--tenant', 'acme', '--name', 'web', '--public', '--redirect-uri', 'https://app.example/cb', '--json');
    expect(pub.code, pub.stderr).toBe(0);
    const web = pub.json<Record<string, unknown>>();
    expect(web).toMatchObject({
      client_name: 'web',
      redirect_uris: ['https://app.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      access_token_ttl: 300,
    });
    expect(web.client_secret).toBeUndefined();

    const conf = await run('clients', 'create', '--tenant', 'acme', '--name', 'api', '--confidential', '--client-id', 'backend',
      '--grant-types', 'client_credentials', '--scopes', 'reports.read', '--json');
    expect(conf.code, conf.stderr).toBe(0);
    const secret = conf.json<{ client_secret: string }>().client_secret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const human = await run('clients', 'list', '--tenant', 'acme');
    expect(human.stdout).toContain('backend');
    expect(human.stdout).not.toContain(secret);
    const shown = await run('clients', 'show', 'backend', '--tenant', 'acme', '--json');
    expect(shown.json()).toMatchObject({ client_id: 'backend', scope: 'reports.read' });
    expect(shown.stdout).not.toContain(secret);

    const upd = await run('clients', 'update', 'backend', '--tenant', 'acme', '--disabled', '--access-token-ttl', '600', '--json');
    expect(upd.json()).toMatchObject({ enabled: false, access_token_ttl: 600 });
    const rot = await run('clients', 'rotate-secret', 'backend', '--tenant', 'acme', '--json');
    expect(rot.json<{ client_secret: string }>().client_secret).not.toBe(secret);
    expect((await run('clients', 'rotate-secret', String(web.client_id), '--tenant', 'acme')).code).toBe(2);

    expect((await run('clients', 'delete', 'backend', '--tenant', 'acme')).code).toBe(0);
    expect((await run('clients', 'show', 'backend', '--tenant', 'acme')).code).toBe(1);
  });

  it.each([
    [['--public', '--redirect-uri', 'http://app.example/cb'], 'https'],
    [['--public', '--redirect-uri', 'https://app.example/cb#x'], 'fragment'],
    [['--public', '--grant-types', 'client_credentials'], 'public client'],
    [['--public'], 'redirect URI'],
    [['--confidential', '--grant-types', 'password'], 'Unknown grant type'],
  ])('refuses bad settings %j', async (args, message) => {
    const r = await run('clients', 'create', '--tenant', 'acme', '--name', 'bad', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('tenants update --signing-alg rotates to a key of that type, the old one still listed; branding options', async () => {
    const r = await run('tenants', 'update', 'acme', '--signing-alg', 'ES256', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ slug: 'acme', signingAlg: 'ES256', newKid: expect.any(String) });
    const shown = await run('tenants', 'show', 'acme', '--json');
    expect(shown.json<{ keys: Array<{ status: string }> }>().keys.map((k) => k.status)).toEqual(['inactive', 'active']);
    expect((await run('tenants', 'update', 'acme', '--signing-alg', 'HS256')).code).toBe(2);
    const look = await run('tenants', 'update', 'acme', '--display-name', 'Acme Inc', '--accent-color', '#123456', '--json');
    expect(look.json()).toMatchObject({ branding: { displayName: 'Acme Inc', accentColor: '#123456', logoUrl: null } });
    expect((await run('tenants', 'update', 'acme', '--logo-url', 'http://insecure.example/logo.png')).code).toBe(2);
  });

  it('audits every change in the tenant chain', async () => {
    const r = await run('audit', 'verify', '--tenant', 'acme', '--json');
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('clients over HTTP (/t/{slug}/api/v1/clients)', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  beforeAll(async () => {
    t = await createTestInstance();
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  it.each([
    ['TENANT_SUPERADMIN', 201],
    ['ADMIN', 201],
    ['MANAGER', 403],
    ['SUBMITTER', 403],
  ] as const)('a %s of the tenant: %s', async (role, status) => {
    const user = await createMember(t.deps, acme.id, `${role.toLowerCase()}@acme.test`, role);
    const { accessToken } = await signIn(t.deps, user.id);
    const res = await app.inject({
      method: 'POST',
      url: '/t/acme/api/v1/clients',
      headers: bearer(accessToken),
      payload: { client_name: `app-${role}`, token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'] },
    });
    expect(res.statusCode, res.body).toBe(status);
    if (status === 201) {
      const created = res.json().data;
      expect(created).toMatchObject({ client_name: `app-${role}`, client_type: 'public' });
      const list = await app.inject({ method: 'GET', url: '/t/acme/api/v1/clients', headers: bearer(accessToken) });
      expect(list.json().data.map((c: { client_id: string }) => c.client_id)).toContain(created.client_id);
    } else {
      expect(res.json()).toMatchObject({ success: false, error: { code: 'forbidden' } });
    }
  });

  it('platform staff may; an outsider and an anonymous caller may not', async () => {
    const { accessToken } = await signIn(t.deps, t.admin.id);
    const created = await app.inject({
      method: 'POST',
      url: '/t/acme/api/v1/clients',
      headers: bearer(accessToken),
      payload: { client_name: 'svc', client_type: 'confidential', grant_types: ['client_credentials'] },
    });
    expect(created.statusCode).toBe(201);
    const { client_id, client_secret } = created.json().data;
    expect(client_secret).toBeTypeOf('string');
    const patched = await app.inject({ method: 'PATCH', url: `/t/acme/api/v1/clients/${client_id}`, headers: bearer(accessToken), payload: { enabled: false } });
    expect(patched.json().data.enabled).toBe(false);
    const shown = await app.inject({ method: 'GET', url: `/t/acme/api/v1/clients/${client_id}`, headers: bearer(accessToken) });
    expect(shown.json().data.client_secret).toBeUndefined();
    const rotated = await app.inject({ method: 'POST', url: `/t/acme/api/v1/clients/${client_id}/rotate-secret`, headers: bearer(accessToken) });
    expect(rotated.json().data.client_secret).not.toBe(client_secret);

    const outsider = await createActiveUser(t.deps, 'outsider@else.test');
    const other = await signIn(t.deps, outsider.id);
    expect((await app.inject({ method: 'GET', url: '/t/acme/api/v1/clients', headers: bearer(other.accessToken) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/t/acme/api/v1/clients' })).statusCode).toBe(401);
    const del = await app.inject({ method: 'DELETE', url: `/t/acme/api/v1/clients/${client_id}`, headers: bearer(accessToken) });
    expect(del.statusCode).toBe(200);
  });

  it.each([
    // role in acme, clients:read, clients:write, tenant.oidc.configure
    ['TENANT_SUPERADMIN', true, true, true],
    ['FINANCE', false, false, false],
    ['ADMIN', true, true, false],
    ['MANAGER', false, false, false],
    ['SUBMITTER', false, false, false],
  ] as const)('the policy for a %s of the tenant: read %s, write %s, configure %s', async (role, read, write, configure) => {
    const user = await createMember(t.deps, acme.id, `policy-${role.toLowerCase()}@acme.test`, role);
    const p = userPrincipal(user.id, 'NONE', 'http');
    expect(decide(t.deps, p, 'clients:read', { companyId: acme.id }).allowed).toBe(read);
    expect(decide(t.deps, p, 'clients:write', { companyId: acme.id }).allowed).toBe(write);
    expect(decide(t.deps, p, 'tenant.oidc.configure', { companyId: acme.id }).allowed).toBe(configure);
  });

  it('the policy: clients:read for every platform staff role, clients:write for admins only', () => {
    const mod = userPrincipal('m', 'PLATFORM_MODERATOR', 'http');
    expect(decide(t.deps, mod, 'clients:read', { companyId: acme.id }).allowed).toBe(true);
    expect(decide(t.deps, mod, 'clients:write', { companyId: acme.id }).allowed).toBe(false);
    expect(decide(t.deps, { ...userPrincipal('a', 'PLATFORM_ADMIN', 'http'), scopes: ['clients:read'] }, 'clients:write', { companyId: acme.id }).allowed).toBe(false);
  });
});
