import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, findUserById } from '../../src/identity/users.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { addMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

/**
 * Issue 9 §1, as reproduced: tenants alpha and beta; alice is ADMIN of alpha; bob is ADMIN of beta only.
 * Alice tried to pull bob into alpha, then change his email and password, and sign in as him.
 */
describe('cross-tenant account takeover (issue 9 §1)', () => {
  let t: TestInstance;
  let app: App;
  let alpha: TenantRow;
  let beta: TenantRow;
  let alice: UserRow;
  let bob: UserRow;
  let aliceAuth: { authorization: string };
  const BOB_PASSWORD = 'bob-password-1';

  const mailsTo = (to: string) =>
    (t.deps.sqlite.prepare('SELECT template FROM mail_outbox WHERE to_address = ? ORDER BY rowid').all(to) as { template: string }[]).map((m) => m.template);

  beforeAll(async () => {
    t = await createTestInstance({ config: { emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:2525', exposePasswordResetToken: true } });
    app = await buildServer(t.deps);
    alpha = await createTenant(t.deps, { slug: 'alpha', name: 'Alpha' }, TEST_ACTOR);
    beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    alice = await createUser(t.deps, { email: 'alice@alpha.test', fullName: 'Alice', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    bob = await createUser(
      t.deps,
      { email: 'bob@beta.test', fullName: 'Bob', password: BOB_PASSWORD, approvalStatus: 'APPROVED', isActive: true },
      TEST_ACTOR,
    );
    addMember(t.deps, alpha.id, alice.id, 'ADMIN');
    addMember(t.deps, beta.id, bob.id, 'ADMIN');
    aliceAuth = bearer((await signIn(t.deps, alice.id)).accessToken);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  it('step 1 — a company admin cannot add a member of another company directly: 403 naming the invitation', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/internal/companies/${alpha.id}/memberships`,
      headers: aliceAuth,
      payload: { userId: bob.id, role: 'SUBMITTER' },
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/invit/i) });
    const bu = await app.inject({
      method: 'POST',
      url: `/internal/companies/${alpha.id}/business-units/${alpha.id}/memberships`,
      headers: aliceAuth,
      payload: { userId: bob.id, role: 'APPROVER' },
    });
    expect(bu.statusCode, bu.body).toBe(403);
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: bearer((await signIn(t.deps, bob.id)).accessToken) });
    expect(me.json().data.companyMemberships.map((m: { companySlug: string }) => m.companySlug)).toEqual(['beta']);
    expect(me.json().data.businessUnitMemberships).toEqual([]);
  });

  it('a former member of another company (membership ended there) is not free to adopt either; a never-attached account is', async () => {
    const carol = await createUser(t.deps, { email: 'carol@beta.test', fullName: 'Carol', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    addMember(t.deps, beta.id, carol.id, 'SUBMITTER');
    t.deps.sqlite.prepare('UPDATE company_memberships SET is_active = 0 WHERE user_id = ?').run(carol.id);
    const adopt = (userId: string) =>
      app.inject({ method: 'POST', url: `/internal/companies/${alpha.id}/memberships`, headers: aliceAuth, payload: { userId, role: 'SUBMITTER' } });
    const refused = await adopt(carol.id);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.message).toMatch(/invit/i);
    // Procedure A: an account a platform admin created for this company, never attached anywhere, is added directly.
    const fresh = await createUser(t.deps, { email: 'fresh@alpha.test', fullName: 'Fresh', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    expect((await adopt(fresh.id)).statusCode).toBe(200);
  });

  it('step 2 — without a shared company, bob is unknown to alice: PATCH and DELETE are 404 like an unknown id', async () => {
    const attempts = [
      { email: 'attacker@evil.test', password: 'attacker-pass-1' },
      { fullName: 'Owned' },
      { isActive: false },
    ];
    for (const payload of attempts) {
      const res = await app.inject({ method: 'PATCH', url: `/internal/users/${bob.id}`, headers: aliceAuth, payload });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const del = await app.inject({ method: 'DELETE', url: `/internal/users/${bob.id}`, headers: aliceAuth });
    expect(del.statusCode).toBe(404);
    const unknown = await app.inject({ method: 'PATCH', url: '/internal/users/00000000-0000-4000-8000-000000000000', headers: aliceAuth, payload: { fullName: 'x' } });
    expect(del.json().error.message.replace(bob.id, 'ID')).toBe(unknown.json().error.message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
  });

  it('step 2 after a platform admin shared alpha with bob — account-wide fields stay refused, his alpha membership stays editable', async () => {
    // A platform admin (not alice) puts bob into alpha: "shared after upsert".
    const platform = bearer((await signIn(t.deps, t.admin.id)).accessToken);
    const upsert = await app.inject({ method: 'POST', url: `/internal/companies/${alpha.id}/memberships`, headers: platform, payload: { userId: bob.id, role: 'SUBMITTER' } });
    expect(upsert.statusCode, upsert.body).toBe(200);

    for (const payload of [
      { email: 'attacker@evil.test', password: 'attacker-pass-1' },
      { email: 'attacker@evil.test' },
      { password: 'attacker-pass-1' },
      { fullName: 'Owned' },
      { isActive: false },
      { approvalStatus: 'REJECTED' },
    ]) {
      const res = await app.inject({ method: 'PATCH', url: `/internal/users/${bob.id}`, headers: aliceAuth, payload });
      expect(res.statusCode, `${JSON.stringify(payload)} ${res.body}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect((await app.inject({ method: 'DELETE', url: `/internal/users/${bob.id}`, headers: aliceAuth })).statusCode).toBe(403);

    // Membership-level fields in alpha: still alice's to change.
    const member = await app.inject({
      method: 'POST',
      url: `/internal/companies/${alpha.id}/memberships`,
      headers: aliceAuth,
      payload: { userId: bob.id, role: 'SUBMITTER', isActive: false, approvalLimit: '10.00', metadata: { note: 'x' } },
    });
    expect(member.statusCode, member.body).toBe(200);
    expect(member.json().data).toMatchObject({ isActive: false, approvalLimit: '10.00' });

    // Step 3 — bob is intact: his own address and password still sign him in; nobody else does.
    const after = findUserById(t.deps, bob.id)!;
    expect(after).toMatchObject({ email: 'bob@beta.test', fullName: 'Bob', isActive: true, approvalStatus: 'APPROVED', deletedAt: null });
    const attacker = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'attacker@evil.test', password: 'attacker-pass-1' } });
    expect(attacker.statusCode).toBe(401);
    const owner = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'bob@beta.test', password: BOB_PASSWORD } });
    expect(owner.statusCode).toBe(200);
    expect(mailsTo('attacker@evil.test')).toEqual([]);
  });

  it('the consent path: alice invites a member of beta, and only that user, with their own password, joins alpha', async () => {
    // Erin belongs to beta; alice cannot add her directly (step 1), but may invite her.
    const erin = await createUser(t.deps, { email: 'erin@beta.test', fullName: 'Erin', password: 'erin-password-1', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    addMember(t.deps, beta.id, erin.id, 'SUBMITTER');
    const invite = await app.inject({ method: 'POST', url: '/auth/invitations', headers: { ...aliceAuth, 'x-org': alpha.id }, payload: { email: 'erin@beta.test', role: 'SUBMITTER' } });
    expect(invite.statusCode, invite.body).toBe(201);
    expect(mailsTo('erin@beta.test')).toEqual(['invitation']);
    const token = new URL(invite.json().data.acceptUrl).searchParams.get('token')!;
    const wrong = await app.inject({ method: 'POST', url: '/auth/invitations/accept', payload: { token, password: 'not-erins-password' } });
    expect(wrong.statusCode).toBe(401);
    const accepted = await app.inject({ method: 'POST', url: '/auth/invitations/accept', payload: { token, password: 'erin-password-1' } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const audit = t.deps.sqlite
      .prepare("SELECT actor_type, actor_id, channel FROM audit_entries WHERE tenant_id = ? AND event_type = 'membership.upserted' ORDER BY seq DESC LIMIT 1")
      .get(alpha.id);
    expect(audit).toEqual({ actor_type: 'user', actor_id: erin.id, channel: 'http' });
  });

  it('an email change tells the old address and ends sessions; a password set by someone else tells the address it had before', async () => {
    const dave = await createUser(
      t.deps,
      { email: 'dave@alpha.test', fullName: 'Dave', password: 'dave-password-1', approvalStatus: 'APPROVED', isActive: true },
      TEST_ACTOR,
    );
    addMember(t.deps, alpha.id, dave.id, 'SUBMITTER');
    const session = await signIn(t.deps, dave.id);
    // Alice holds ADMIN in every company dave belongs to: she may change his account.
    const res = await app.inject({
      method: 'PATCH',
      url: `/internal/users/${dave.id}`,
      headers: aliceAuth,
      payload: { email: 'dave.new@alpha.test', password: 'dave-password-2' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(mailsTo('dave@alpha.test')).toEqual(['email-changed', 'password-changed-by-admin']);
    expect(mailsTo('dave.new@alpha.test')).toEqual([]);
    const refresh = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: session.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/auth/me', headers: bearer(session.accessToken) })).statusCode).toBe(401);

    // An email change alone also ends the sessions of the new address's holder and tells the old one.
    const again = await signIn(t.deps, dave.id);
    expect((await app.inject({ method: 'PATCH', url: `/internal/users/${dave.id}`, headers: aliceAuth, payload: { email: 'dave.third@alpha.test' } })).statusCode).toBe(200);
    expect(mailsTo('dave.new@alpha.test')).toEqual(['email-changed']);
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: again.refreshToken } })).statusCode).toBe(401);
    const audit = t.deps.sqlite
      .prepare("SELECT payload FROM audit_entries WHERE event_type = 'session.revoked_all' ORDER BY seq DESC LIMIT 1")
      .get() as { payload: string };
    expect(JSON.parse(audit.payload)).toMatchObject({ reason: 'email_changed' });
  });
});
