import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant, updateTenant } from '../../src/tenants/tenants.ts';
import { createInvitation, acceptInvitation } from '../../src/invitations/invitations.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';

const OPERATOR = TEST_ACTOR;

/** `tenants update --status disabled`: the company's memberships stay on record but give no access or rights. */
describe('a disabled company', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  let admin: UserRow;
  let member: UserRow;
  let adminAuth: { authorization: string };
  let memberAuth: { authorization: string };
  beforeEach(async () => {
    // The development flag returns the accept link, so the test needs no SMTP server.
    t = await createTestInstance({ file: true, config: { exposePasswordResetToken: true } });
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    admin = await createMember(t.deps, acme.id, 'boss@acme.test', 'ADMIN');
    member = await createMember(t.deps, acme.id, 'worker@acme.test', 'SUBMITTER');
    adminAuth = bearer((await signIn(t.deps, admin.id)).accessToken);
    memberAuth = bearer((await signIn(t.deps, member.id)).accessToken);
  });
  afterEach(async () => {
    await app.close();
    t.close();
  });

  const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });
  const setStatus = (status: 'active' | 'disabled') => updateTenant(t.deps, 'acme', { status }, TEST_ACTOR);

  it("gives its members no /auth/me/access to it, visible on the very next call, and back when enabled", async () => {
    expect((await get('/auth/me/access', { ...memberAuth, 'x-org': acme.id })).statusCode).toBe(200);
    setStatus('disabled');
    const refused = await get('/auth/me/access', { ...memberAuth, 'x-org': acme.id });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('forbidden');
    setStatus('active');
    expect((await get('/auth/me/access', { ...memberAuth, 'x-org': acme.id })).statusCode).toBe(200);
  });

  it('gives its admins no rights over its members, while platform admins keep theirs', async () => {
    const listUrl = `/internal/companies/${acme.id}/users`;
    expect((await get(listUrl, adminAuth)).statusCode).toBe(200);
    setStatus('disabled');
    expect((await get(listUrl, adminAuth)).statusCode).toBe(403);
    const patch = await app.inject({ method: 'PATCH', url: `/internal/users/${member.id}`, headers: adminAuth, payload: { fullName: 'Renamed' } });
    expect(patch.statusCode).toBe(403);
    const platform = bearer((await signIn(t.deps, t.admin.id)).accessToken);
    expect((await get(listUrl, platform)).statusCode).toBe(200);
  });

  it('takes no invitations and lets none be accepted', async () => {
    const issued = await createInvitation(t.deps, OPERATOR, acme.id, { email: 'new@acme.test', role: 'SUBMITTER' });
    const token = new URL(issued.acceptUrl!).searchParams.get('token')!;
    setStatus('disabled');
    await expect(createInvitation(t.deps, OPERATOR, acme.id, { email: 'other@acme.test', role: 'SUBMITTER' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(acceptInvitation(t.deps, ANONYMOUS_HTTP, { token, name: 'New', password: 'long-enough-1' })).rejects.toMatchObject({ code: 'forbidden' });
    setStatus('active');
    await expect(acceptInvitation(t.deps, ANONYMOUS_HTTP, { token, name: 'New', password: 'long-enough-1' })).resolves.toMatchObject({ companyId: acme.id });
  });
});
