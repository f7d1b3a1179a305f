import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { setCompanyEntitlements } from '../../src/access/entitlements.ts';
import { setDelegationPolicy } from '../../src/access/membership-access.ts';
import { createMailOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport, type MailTransport } from '../../src/mail/transport.ts';
import { findUserByEmail } from '../../src/identity/users.ts';
import { INVITATION_TTL_MS } from '../../src/invitations/invitations.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const FRONTEND = 'https://app.acme.test';

describe('invitations (§4.9), end to end with mail through a real SMTP server', () => {
  let t: TestInstance;
  let app: App;
  let sink: SmtpSink;
  let transport: MailTransport;
  let acme: TenantRow;
  const people: Record<string, UserRow> = {};
  const auth: Record<string, { authorization: string }> = {};

  beforeAll(async () => {
    sink = await startSmtpSink();
    transport = createSmtpTransport(sink.url);
    t = await createTestInstance({ config: { emailEnabled: true, smtpUrl: sink.url, frontendUrl: FRONTEND, emailFrom: 'no-reply@acme.test' } });
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme Corp' }, TEST_ACTOR);
    setCompanyEntitlements(t.deps, acme, ['basic', 'finance'], TEST_ACTOR);
    for (const role of ['TENANT_SUPERADMIN', 'ADMIN', 'MANAGER', 'SUBMITTER'] as const) {
      people[role] = await createMember(t.deps, acme.id, `${role.toLowerCase()}@acme.test`, role);
      auth[role] = bearer((await signIn(t.deps, people[role].id)).accessToken);
    }
  });
  afterAll(async () => {
    await app.close();
    transport.close();
    await sink.stop();
    t.close();
  });

  const invite = (who: string, body: object, org: string | null = acme.id) =>
    app.inject({ method: 'POST', url: '/auth/invitations', headers: { ...auth[who], ...(org ? { 'x-org': org } : {}) }, payload: body });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, who = 'TENANT_SUPERADMIN') =>
    app.inject({ method, url, headers: { ...auth[who], 'x-org': acme.id } });
  const accept = (body: object, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/auth/invitations/accept', headers, payload: body });
  /** Sends the outbox to the SMTP server and returns the token from the newest mail to `to`. */
  const tokenMailedTo = async (to: string) => {
    await createMailOutboxWorker(t.deps, transport).drain();
    const mail = sink.messages.filter((m) => m.envelopeTo.includes(to)).at(-1)!;
    const url = /https:\/\/app\.acme\.test\/accept-invitation\?token=([A-Za-z0-9_%-]+)/.exec(mail.text)!;
    return { mail, token: decodeURIComponent(url[1]) };
  };

  it('create → mail → accept as a new user → signed in, /auth/me/access shows the grants', async () => {
    const created = await invite('TENANT_SUPERADMIN', { email: 'New.Hire@example.com', role: 'SUBMITTER', modules: ['finance'], permissions: ['finance.expense.view'] });
    expect(created.statusCode).toBe(201);
    const invitation = created.json().data.invitation;
    expect(invitation).toMatchObject({ email: 'new.hire@example.com', role: 'SUBMITTER', status: 'pending', modules: ['finance'], invitedBy: { id: people.TENANT_SUPERADMIN.id } });
    expect(created.json().data.acceptUrl).toBeUndefined(); // the token only travels by mail
    expect(invitation.expiresAt).toBe(new Date(t.clock.nowMs() + INVITATION_TTL_MS).toISOString());

    const { mail, token } = await tokenMailedTo('new.hire@example.com');
    expect(mail.subject).toContain('Acme Corp');
    expect(mail.text).toContain('SUBMITTER');

    expect((await invite('ADMIN', { email: 'new.hire@example.com', role: 'SUBMITTER' })).statusCode).toBe(409);

    const accepted = await accept({ token, name: 'New Hire', password: 'a-good-password' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().data).toMatchObject({ companyId: acme.id, role: 'SUBMITTER', createdUser: true, invitation: { status: 'accepted' } });
    const user = findUserByEmail(t.deps, 'new.hire@example.com')!;
    expect(user).toMatchObject({ approvalStatus: 'APPROVED', isActive: true, fullName: 'New Hire' });

    const me = await app.inject({ method: 'GET', url: '/auth/me/access', headers: { ...bearer((await signIn(t.deps, user.id)).accessToken), 'x-org': acme.id } });
    expect(me.json().data.companies).toEqual([
      { companyId: acme.id, role: 'SUBMITTER', modules: expect.objectContaining({ finance: true, basic: false }), permissions: ['finance.expense.view'] },
    ]);

    expect((await accept({ token, name: 'Again', password: 'a-good-password' })).json().error.code).toBe('conflict');
    const events = t.deps.sqlite
      .prepare("SELECT event_type FROM audit_entries WHERE tenant_id = ? AND event_type LIKE 'invitation.%' ORDER BY seq")
      .all(acme.id)
      .map((r) => (r as { event_type: string }).event_type);
    expect(events).toEqual(['invitation.created', 'invitation.accepted']);
  });

  it('resend issues a new token and the old one stops working', async () => {
    const id = (await invite('ADMIN', { email: 'resend@example.com', role: 'ADMIN' })).json().data.invitation.id;
    const first = await tokenMailedTo('resend@example.com');
    const resent = await call('POST', `/auth/invitations/${id}/resend`, 'ADMIN');
    expect(resent.json().data.invitation.sentCount).toBe(2);
    const second = await tokenMailedTo('resend@example.com');
    expect(second.token).not.toBe(first.token);
    expect((await accept({ token: first.token, name: 'R', password: 'a-good-password' })).statusCode).toBe(404);
    expect((await accept({ token: second.token, name: 'R', password: 'a-good-password' })).statusCode).toBe(200);
  });

  it('a new account takes fullName (as /auth/register does); name stays an alias', async () => {
    await invite('ADMIN', { email: 'full-name@example.com', role: 'SUBMITTER' });
    const { token } = await tokenMailedTo('full-name@example.com');
    expect((await accept({ token, password: 'a-good-password' })).json().error.message).toMatch(/fullName/);
    expect((await accept({ token, fullName: 'Full Name', password: 'a-good-password' })).statusCode).toBe(200);
    expect(findUserByEmail(t.deps, 'full-name@example.com')!.fullName).toBe('Full Name');
  });

  it('cancel makes the link unknown; list and get show the status', async () => {
    const id = (await invite('TENANT_SUPERADMIN', { email: 'cancel@example.com', role: 'SUBMITTER' })).json().data.invitation.id;
    const { token } = await tokenMailedTo('cancel@example.com');
    expect((await call('DELETE', `/auth/invitations/${id}`)).json().data.status).toBe('cancelled');
    expect((await accept({ token, name: 'C', password: 'a-good-password' })).statusCode).toBe(404);
    expect((await call('GET', `/auth/invitations/${id}`)).json().data.status).toBe('cancelled');
    const cancelled = (await call('GET', '/auth/invitations?status=cancelled')).json().data;
    expect(cancelled.map((i: { email: string }) => i.email)).toEqual(['cancel@example.com']);
    // A cancelled invitation no longer blocks a new one.
    expect((await invite('TENANT_SUPERADMIN', { email: 'cancel@example.com', role: 'SUBMITTER' })).statusCode).toBe(201);
  });

  it('expired invitations read as expired, refuse acceptance with 400, and can be resent', async () => {
    const id = (await invite('TENANT_SUPERADMIN', { email: 'late@example.com', role: 'SUBMITTER' })).json().data.invitation.id;
    const { token } = await tokenMailedTo('late@example.com');
    t.clock.advance(INVITATION_TTL_MS);
    for (const role of Object.keys(people)) auth[role] = bearer((await signIn(t.deps, people[role].id)).accessToken); // access tokens expired too
    expect((await call('GET', `/auth/invitations/${id}`)).json().data.status).toBe('expired');
    const late = await accept({ token, name: 'L', password: 'a-good-password' });
    expect(late.statusCode).toBe(400);
    expect(late.json().error.code).toBe('validation_error');
    expect((await call('POST', `/auth/invitations/${id}/resend`)).json().data.invitation.status).toBe('pending');
    const fresh = await tokenMailedTo('late@example.com');
    expect((await accept({ token: fresh.token, name: 'L', password: 'a-good-password' })).statusCode).toBe(200);
  });

  it('an existing account accepts signed in as the invited email, or with its password — not as someone else', async () => {
    const globex = await createTenant(t.deps, { slug: 'globex', name: 'Globex' }, TEST_ACTOR);
    const boss = await createMember(t.deps, globex.id, 'boss@globex.test', 'TENANT_SUPERADMIN');
    auth.globexBoss = bearer((await signIn(t.deps, boss.id)).accessToken);
    const send = async (email: string) => {
      expect((await invite('globexBoss', { email, role: 'SUBMITTER' }, globex.id)).statusCode).toBe(201);
      return (await tokenMailedTo(email)).token;
    };
    const byBearer = await send(people.SUBMITTER.email);
    expect((await accept({ token: byBearer }, auth.ADMIN)).statusCode).toBe(403);
    expect((await accept({ token: byBearer })).statusCode).toBe(401);
    expect((await accept({ token: byBearer, password: 'wrong-password' })).statusCode).toBe(401);
    const ok = await accept({ token: byBearer }, auth.SUBMITTER);
    expect(ok.json().data).toMatchObject({ userId: people.SUBMITTER.id, createdUser: false, companyId: globex.id });
  });

  it('refuses inviters below their rights: no x-org, SUBMITTER, MANAGER unless allowed, grants beyond delegation', async () => {
    expect((await invite('TENANT_SUPERADMIN', { email: 'x@example.com', role: 'SUBMITTER' }, null)).json().error.code).toBe('validation_error');
    expect((await invite('SUBMITTER', { email: 'x@example.com', role: 'SUBMITTER' })).statusCode).toBe(403);
    expect((await invite('MANAGER', { email: 'x@example.com', role: 'SUBMITTER' })).statusCode).toBe(403);
    setDelegationPolicy(t.deps, TEST_ACTOR, acme.id, { managersMayInvite: true, limits: { ADMIN: { modules: ['basic'], permissions: [] } } });
    expect((await invite('MANAGER', { email: 'x@example.com', role: 'ADMIN' })).statusCode).toBe(403);
    expect((await invite('MANAGER', { email: 'x@example.com', role: 'SUBMITTER', modules: ['basic'] })).statusCode).toBe(403); // the manager holds nothing
    expect((await invite('ADMIN', { email: 'x@example.com', role: 'SUBMITTER', modules: ['finance'] })).statusCode).toBe(403);
    expect((await invite('ADMIN', { email: 'x@example.com', role: 'TENANT_SUPERADMIN' })).statusCode).toBe(403);
    expect((await invite('ADMIN', { email: people.MANAGER.email, role: 'SUBMITTER' })).statusCode).toBe(409); // already a member
    expect((await invite('MANAGER', { email: 'x@example.com', role: 'SUBMITTER' })).statusCode).toBe(201);
    expect((await call('GET', '/auth/invitations', 'SUBMITTER')).statusCode).toBe(403);
  });

  it('a MANAGER invitation names its business unit, and acceptance creates both memberships', async () => {
    expect((await invite('TENANT_SUPERADMIN', { email: 'lead@example.com', role: 'MANAGER' })).json().error.code).toBe('validation_error');
    expect((await invite('TENANT_SUPERADMIN', { email: 'lead@example.com', role: 'MANAGER', businessUnitId: 'bu-7' })).statusCode).toBe(201);
    const { token } = await tokenMailedTo('lead@example.com');
    const accepted = (await accept({ token, name: 'Lead', password: 'a-good-password' })).json().data;
    expect(accepted.role).toBe('MANAGER');
    const bu = t.deps.sqlite.prepare('SELECT business_unit_id, role, is_active FROM business_unit_memberships WHERE user_id = ?').all(accepted.userId);
    expect(bu).toEqual([{ business_unit_id: 'bu-7', role: 'APPROVER', is_active: 1 }]);
  });

  it('checks the Bearer token before x-org, and documents every route in /openapi.json', async () => {
    expect((await app.inject({ method: 'GET', url: '/auth/invitations' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/auth/invitations', headers: auth.ADMIN })).json().error.code).toBe('validation_error');
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/auth/invitations',
        '/auth/invitations/{id}',
        '/auth/invitations/{id}/resend',
        '/auth/invitations/accept',
        '/auth/me/access',
        '/auth/me/default-company',
        '/internal/companies/{companyId}/entitlements',
        '/internal/companies/{companyId}/users/{userId}/access',
        '/internal/companies/{companyId}/delegation-limits',
      ]),
    );
  });
});
