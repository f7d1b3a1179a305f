import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser, findUserById } from '../../src/identity/users.ts';
import { verifyPassword } from '../../src/identity/passwords.ts';
import type { GlobalRole } from '../../src/identity/tables.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { bearer, signIn } from '../support/tokens.ts';
import { openMailData } from '../../src/mail/outbox.ts';

/** Mail, sessions, tokenVersion and audit effects of user lifecycle changes; membership details (§5.2a). */
describe('user lifecycle and memberships over HTTP', () => {
  let t: TestInstance;
  let app: App;
  let acme: TenantRow;
  let other: TenantRow;
  let admin: { authorization: string };
  let n = 0;

  const outbox = (to: string) =>
    (t.deps.sqlite.prepare('SELECT id, template, data FROM mail_outbox WHERE to_address = ? ORDER BY rowid').all(to) as { id: string; template: string; data: string }[]).map((m) => ({
      template: m.template,
      data: openMailData(t.deps, m.id, m.data),
    }));
  const lastAudit = (tenantId: string, count: number) =>
    (t.deps.sqlite.prepare('SELECT event_type, payload, actor_type, actor_id FROM audit_entries WHERE tenant_id = ? ORDER BY seq DESC LIMIT ?').all(tenantId, count) as {
      event_type: string;
      payload: string;
      actor_type: string;
      actor_id: string;
    }[]).reverse();
  const user = async (globalRole: GlobalRole = 'NONE') =>
    createUser(t.deps, { email: `p${++n}@example.com`, fullName: `Person ${n}`, globalRole, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  const patch = (id: string, payload: object, headers = admin) => app.inject({ method: 'PATCH', url: `/internal/users/${id}`, headers, payload });
  const membership = (companyId: string, payload: object, headers = admin) =>
    app.inject({ method: 'POST', url: `/internal/companies/${companyId}/memberships`, headers, payload });

  beforeAll(async () => {
    t = await createTestInstance({ config: { emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:2525' } });
    app = await buildServer(t.deps);
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    other = await createTenant(t.deps, { slug: 'other', name: 'Other' }, TEST_ACTOR);
    admin = bearer((await signIn(t.deps, t.admin.id)).accessToken);
  });
  afterAll(async () => {
    await app.close();
    t.close();
  });

  it('deactivation ends sessions, stops tokens, mails once and is audited as user.disabled; enabling is user.enabled', async () => {
    const u = await user();
    const session = await signIn(t.deps, u.id);
    const res = await patch(u.id, { isActive: false });
    expect(res.json().data).toMatchObject({ isActive: false, tokenVersion: 2 });
    const probe = await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(session.accessToken) });
    expect(probe.statusCode).toBe(401);
    expect(probe.json().error.code).toBe('session_revoked');
    expect(outbox(u.email).map((m) => m.template)).toEqual(['account-deactivated']);
    expect(lastAudit(t.master.id, 3).map((e) => e.event_type)).toEqual(['user.updated', 'user.disabled', 'session.revoked_all']);
    expect(lastAudit(t.master.id, 3)[0]).toMatchObject({ actor_type: 'user', actor_id: t.admin.id });

    await patch(u.id, { isActive: true });
    expect(lastAudit(t.master.id, 2).map((e) => e.event_type)).toEqual(['user.updated', 'user.enabled']);
  });

  it('rejection with deactivation in one request sends only the rejection mail', async () => {
    const u = await user();
    const res = await patch(u.id, { approvalStatus: 'REJECTED', isActive: false });
    expect(res.statusCode).toBe(200);
    expect(outbox(u.email).map((m) => m.template)).toEqual(['account-rejected']);
    expect(lastAudit(t.master.id, 4).map((e) => e.event_type)).toEqual(['user.updated', 'user.rejected', 'user.disabled', 'session.revoked_all']);
  });

  it('an admin password change: hashes, mails without the password, ends sessions, audits only field names', async () => {
    const u = await user();
    const session = await signIn(t.deps, u.id);
    const res = await patch(u.id, { password: 'chosen-by-admin-1', fullName: 'Renamed' });
    expect(res.json().data).toMatchObject({ fullName: 'Renamed', tokenVersion: 2 });
    expect(await verifyPassword(findUserById(t.deps, u.id)!.passwordHash!, 'chosen-by-admin-1')).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(session.accessToken) })).json().error.code).toBe('session_revoked');
    const mails = outbox(u.email);
    expect(mails.map((m) => m.template)).toEqual(['password-changed-by-admin']);
    expect(JSON.stringify(mails)).not.toContain('chosen-by-admin-1');
    const entries = lastAudit(t.master.id, 3);
    expect(entries.map((e) => e.event_type)).toEqual(['user.updated', 'user.password_set_by_admin', 'session.revoked_all']);
    expect(JSON.parse(entries[0].payload).fields).toEqual(['password', 'fullName']);
    expect(entries.map((e) => e.payload).join()).not.toContain('chosen-by-admin-1');
  });

  it('soft delete: deactivated, hidden from lists, tokens stop, mailed, and a second delete is 404', async () => {
    const u = await user();
    const session = await signIn(t.deps, u.id);
    const res = await app.inject({ method: 'DELETE', url: `/internal/users/${u.id}`, headers: admin });
    expect(res.json().data).toMatchObject({ id: u.id, isActive: false, deletedAt: '2026-03-01T12:00:00.000Z' });
    expect((await app.inject({ method: 'GET', url: '/internal/users', headers: bearer(session.accessToken) })).statusCode).toBe(401);
    expect(outbox(u.email).map((m) => m.template)).toEqual(['account-deleted']);
    const list = await app.inject({ method: 'GET', url: '/internal/users?limit=500', headers: admin });
    expect(list.json().data.users.map((x: { id: string }) => x.id)).not.toContain(u.id);
    const withDeleted = await app.inject({ method: 'GET', url: '/internal/users?limit=500&includeDeleted=true', headers: admin });
    expect(withDeleted.json().data.users.map((x: { id: string }) => x.id)).toContain(u.id);
    expect((await app.inject({ method: 'DELETE', url: `/internal/users/${u.id}`, headers: admin })).statusCode).toBe(404);
    expect((await patch(u.id, { fullName: 'Ghost' })).statusCode).toBe(404);
  });

  it('lists with filters, paging and a total that ignores paging', async () => {
    await user('PLATFORM_MODERATOR');
    const mods = await app.inject({ method: 'GET', url: '/internal/users?globalRole=PLATFORM_MODERATOR', headers: admin });
    expect(mods.json().data.users.every((u: { globalRole: string }) => u.globalRole === 'PLATFORM_MODERATOR')).toBe(true);
    const page = await app.inject({ method: 'GET', url: '/internal/users?limit=2&offset=1', headers: admin });
    const all = await app.inject({ method: 'GET', url: '/internal/users?limit=500', headers: admin });
    expect(page.json().data.users).toHaveLength(2);
    expect(page.json().data.total).toBe(all.json().data.total);
    expect(page.json().data.users[0].id).toBe(all.json().data.users[1].id);
    expect((await app.inject({ method: 'GET', url: '/internal/users?limit=0', headers: admin })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/internal/users?approvalStatus=MAYBE', headers: admin })).statusCode).toBe(400);
  });

  it('refuses to remove the last active platform admin, and duplicate emails', async () => {
    const only = await app.inject({ method: 'GET', url: '/internal/users?globalRole=PLATFORM_ADMIN', headers: admin });
    expect(only.json().data.total).toBe(0);
    const demote = await patch(t.admin.id, { globalRole: 'NONE' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.message).toMatch(/last active platform admin/);
    expect((await app.inject({ method: 'DELETE', url: `/internal/users/${t.admin.id}`, headers: admin })).statusCode).toBe(409);
    const u = await user();
    expect((await patch(u.id, { email: t.admin.email })).statusCode).toBe(409);
    const dup = await app.inject({ method: 'POST', url: '/internal/users', headers: admin, payload: { email: u.email, fullName: 'Dup' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('conflict');
  });

  it('validates bodies and ids: bad UUIDs and unknown fields are 400, unknown companies and the platform tenant 404', async () => {
    const u = await user();
    expect((await patch('not-a-uuid', { fullName: 'x' })).json().error.code).toBe('validation_error');
    expect((await patch(u.id, { nickname: 'x' })).statusCode).toBe(400);
    expect((await patch(u.id, {})).statusCode).toBe(400);
    expect((await patch(u.id, { password: 'short' })).statusCode).toBe(400);
    expect((await membership('nope', { userId: u.id, role: 'ADMIN' })).statusCode).toBe(400);
    expect((await membership(acme.id, { userId: 'nope', role: 'ADMIN' })).statusCode).toBe(400);
    expect((await membership(acme.id, { userId: u.id, role: 'OWNER' })).statusCode).toBe(400);
    expect((await membership(acme.id, { userId: u.id, role: 'ADMIN', approvalLimit: '12,50' })).statusCode).toBe(400);
    expect((await membership(acme.id, { userId: u.id, role: 'ADMIN', metadata: [1] })).statusCode).toBe(400);
    const unknown = await membership(randomUUID(), { userId: u.id, role: 'ADMIN' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    expect((await membership(t.master.id, { userId: u.id, role: 'ADMIN' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/internal/companies/${randomUUID()}/users`, headers: admin })).statusCode).toBe(404);
    expect((await membership(acme.id, { userId: randomUUID(), role: 'ADMIN' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/internal/companies/${acme.id}/business-units/xyz/users`, headers: admin })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/internal/users' })).statusCode).toBe(401);
  });

  it('metadata: omitted keeps, an object replaces, {} clears; scope shortcuts appear only when present', async () => {
    const u = await user();
    const first = await membership(acme.id, { userId: u.id, role: 'SUBMITTER', approvalLimit: '100.50', metadata: { version: 1, invoiceViewScope: 'COMPANY', canEditOthersScope: 'BU' } });
    expect(first.json().data).toMatchObject({ metadata: { version: 1, invoiceViewScope: 'COMPANY', canEditOthersScope: 'BU' }, invoiceViewScope: 'COMPANY', canEditOthersScope: 'BU', approvalLimit: '100.50' });
    expect(first.json().data).not.toHaveProperty('canEditOthersInvoices');

    const kept = await membership(acme.id, { userId: u.id, role: 'ADMIN' });
    expect(kept.json().data).toMatchObject({ role: 'ADMIN', approvalLimit: '100.50', invoiceViewScope: 'COMPANY', metadata: { version: 1 } });

    const replaced = await membership(acme.id, { userId: u.id, role: 'ADMIN', metadata: { canEditOthersInvoices: false }, approvalLimit: null });
    expect(replaced.json().data).toMatchObject({ metadata: { canEditOthersInvoices: false }, canEditOthersInvoices: false, approvalLimit: null });
    expect(replaced.json().data).not.toHaveProperty('invoiceViewScope');

    const cleared = await membership(acme.id, { userId: u.id, role: 'ADMIN', metadata: {} });
    expect(cleared.json().data.metadata).toEqual({});
    expect(cleared.json().data).not.toHaveProperty('canEditOthersInvoices');

    const bu = randomUUID();
    const url = `/internal/companies/${acme.id}/business-units/${bu}/memberships`;
    await app.inject({ method: 'POST', url, headers: admin, payload: { userId: u.id, role: 'SUBMITTER', metadata: { invoiceViewScope: 'OWN' } } });
    const buKept = await app.inject({ method: 'POST', url, headers: admin, payload: { userId: u.id, role: 'ADMIN', isActive: false } });
    expect(buKept.json().data).toMatchObject({ role: 'ADMIN', isActive: false, invoiceViewScope: 'OWN' });
    const events = lastAudit(acme.id, 6).map((e) => e.event_type);
    expect(events).toEqual(['membership.upserted', 'membership.upserted', 'membership.upserted', 'membership.upserted', 'bu_membership.upserted', 'bu_membership.upserted']);
  });

  it('delegation (§15): a company ADMIN grants only roles up to its own and never manages a higher rank or platform staff; moderators never reach platform admins', async () => {
    const companyAdmin = await user();
    await membership(acme.id, { userId: companyAdmin.id, role: 'ADMIN' });
    const headers = bearer((await signIn(t.deps, companyAdmin.id)).accessToken);
    const newcomer = await user();
    expect((await membership(acme.id, { userId: newcomer.id, role: 'TENANT_SUPERADMIN' }, headers)).statusCode).toBe(403);
    expect((await membership(acme.id, { userId: newcomer.id, role: 'FINANCE' }, headers)).statusCode).toBe(403);
    expect((await membership(acme.id, { userId: newcomer.id, role: 'ADMIN' }, headers)).statusCode).toBe(200);

    const owner = await user();
    await membership(acme.id, { userId: owner.id, role: 'TENANT_SUPERADMIN' });
    expect((await membership(acme.id, { userId: owner.id, role: 'SUBMITTER' }, headers)).statusCode).toBe(403);
    expect((await patch(owner.id, { isActive: false }, headers)).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/internal/users/${owner.id}`, headers })).statusCode).toBe(403);

    const staffer = await user('PLATFORM_MODERATOR');
    await membership(acme.id, { userId: staffer.id, role: 'SUBMITTER' });
    expect((await patch(staffer.id, { password: 'taken-over-pw' }, headers)).statusCode).toBe(403);
    // A moderator's approvalStatus right does not reach platform admins.
    const moderator = bearer((await signIn(t.deps, (await user('PLATFORM_MODERATOR')).id)).accessToken);
    const platformAdmin = await user('PLATFORM_ADMIN');
    expect((await patch(platformAdmin.id, { approvalStatus: 'REJECTED' }, moderator)).statusCode).toBe(403);
    expect((await patch(newcomer.id, { approvalStatus: 'REJECTED' }, moderator)).statusCode).toBe(200);
    // In another company the same ADMIN has no standing at all.
    expect((await membership(other.id, { userId: newcomer.id, role: 'SUBMITTER' }, headers)).statusCode).toBe(403);
  });

  it('set-password link from the welcome mail works once, within 7 days', async () => {
    const created = await app.inject({ method: 'POST', url: '/internal/users', headers: admin, payload: { email: 'link@example.com', fullName: 'Link' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    expect(findUserById(t.deps, id)!.passwordHash).toBeNull();
    const url = new URL(outbox('link@example.com')[0].data.setPasswordUrl as string);
    const token = url.searchParams.get('token')!;

    expect((await app.inject({ method: 'POST', url: '/auth/set-password', payload: { token, newPassword: 'short' } })).statusCode).toBe(400);
    const ok = await app.inject({ method: 'POST', url: '/auth/set-password', payload: { token, newPassword: 'my-own-password' } });
    expect(ok.json()).toEqual({ success: true, data: { status: 'ok' } });
    expect(await verifyPassword(findUserById(t.deps, id)!.passwordHash!, 'my-own-password')).toBe(true);
    const reuse = await app.inject({ method: 'POST', url: '/auth/set-password', payload: { token, newPassword: 'another-password' } });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().error.code).toBe('validation_error');

    await app.inject({ method: 'POST', url: '/internal/users', headers: admin, payload: { email: 'late@example.com', fullName: 'Late' } });
    const late = new URL(outbox('late@example.com')[0].data.setPasswordUrl as string).searchParams.get('token')!;
    t.clock.advance(7 * 24 * 3600 * 1000 + 1);
    expect((await app.inject({ method: 'POST', url: '/auth/set-password', payload: { token: late, newPassword: 'too-late-password' } })).statusCode).toBe(400);
    t.clock.set('2026-03-01T12:00:00Z');
  });
});
