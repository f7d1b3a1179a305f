import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { bumpTokenVersion } from '../../src/sessions/sessions.ts';
import { emailFingerprint } from '../../src/identity/login.ts';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';

describe('POST /auth/login, /auth/refresh, /auth/logout, /auth/logout-all, GET /auth/me', () => {
  let h: AuthHarness;
  beforeEach(async () => {
    h = await authHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('login answers the §4.2 pair and opens a server-side session, audited as user.signed_in', async () => {
    const res = await h.post('/auth/login', { email: ' Admin@Example.com ', password: ADMIN_PASSWORD }, { ip: '10.1.1.1' });
    expect(res.statusCode).toBe(200);
    const { data } = res.json();
    expect(data).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });
    // ≥ 256 bits of randomness, and only its hash at rest
    expect(Buffer.from(data.refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);
    const stored = h.t.deps.sqlite.prepare('SELECT token_hash FROM refresh_tokens').all() as { token_hash: string }[];
    expect(stored.map((r) => r.token_hash)).not.toContain(data.refreshToken);
    const claims = decodeJwt(data.accessToken);
    const session = h.t.deps.sqlite.prepare('SELECT * FROM sessions WHERE id = ?').get(claims.sessionId) as { user_id: string; ip: string };
    expect(session).toMatchObject({ user_id: h.t.admin.id, ip: '10.1.1.1' });
    expect(h.audit('user.signed_in')).toEqual([
      expect.objectContaining({ actor_id: h.t.admin.id, payload: expect.objectContaining({ sessionId: claims.sessionId }) }),
    ]);
  });

  it('wrong password and unknown email get the same 401, audited with user id or email hash and never the password', async () => {
    const wrong = await h.post('/auth/login', { email: ADMIN_EMAIL, password: 'guess-number-1' });
    const unknown = await h.post('/auth/login', { email: 'nobody@example.com', password: 'guess-number-1' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    const failures = h.audit('user.sign_in_failed');
    expect(failures.map((f) => f.payload)).toEqual([
      expect.objectContaining({ userId: h.t.admin.id, reason: 'wrong_password' }),
      expect.objectContaining({ emailHash: emailFingerprint('nobody@example.com'), reason: 'unknown_email' }),
    ]);
    expect(JSON.stringify(failures)).not.toContain('guess-number-1');
    expect(JSON.stringify(failures)).not.toContain('nobody@example.com');
  });

  it('status codes are only revealed after the password is verified', async () => {
    await h.user({ email: 'pending@example.com', approvalStatus: 'PENDING', isActive: false });
    const wrong = await h.post('/auth/login', { email: 'pending@example.com', password: 'wrong-password' });
    expect(wrong.json().error.code).toBe('unauthorized');
    const right = await h.post('/auth/login', { email: 'pending@example.com', password: 'user-password-1' });
    expect(right.json().error.code).toBe('pending_approval');
  });

  it('a soft-deleted account is account_inactive', async () => {
    const u = await h.user({ email: 'gone@example.com' });
    h.t.deps.sqlite.prepare('UPDATE users SET deleted_at = 1 WHERE id = ?').run(u.id);
    const res = await h.post('/auth/login', { email: 'gone@example.com', password: 'user-password-1' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('account_inactive');
  });

  it('accountType: "" / internal / auto / missing sign in; anything else is 400', async () => {
    for (const accountType of ['', 'internal', 'auto', undefined]) {
      const res = await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType });
      expect(res.statusCode, String(accountType)).toBe(200);
    }
    const res = await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, accountType: 'admin' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_error');
  });

  it('refresh rotates the token on every use and keeps the session', async () => {
    const first = await h.signIn();
    const second = (await h.post('/auth/refresh', { refreshToken: first.refreshToken })).json().data;
    expect(second).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, tokenType: 'Bearer' });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwt(second.accessToken).sessionId).toBe(decodeJwt(first.accessToken).sessionId);
    const third = await h.post('/auth/refresh', { refreshToken: second.refreshToken });
    expect(third.statusCode).toBe(200);
  });

  it('presenting a rotated refresh token revokes the whole session', async () => {
    const first = await h.signIn();
    const second = (await h.post('/auth/refresh', { refreshToken: first.refreshToken })).json().data;
    const reuse = await h.post('/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('session_revoked');
    // The revocation was committed: the legitimate holder's current token and access token die with it.
    const next = await h.post('/auth/refresh', { refreshToken: second.refreshToken });
    expect(next.json().error.code).toBe('session_revoked');
    expect((await h.get('/auth/me', second.accessToken)).json().error.code).toBe('session_revoked');
    expect(h.audit('session.revoked')).toEqual([expect.objectContaining({ payload: expect.objectContaining({ reason: 'refresh_token_reuse' }) })]);
  });

  it('an unknown refresh token is 401 unauthorized; an expired session too', async () => {
    expect((await h.post('/auth/refresh', { refreshToken: 'not-a-token' })).json().error.code).toBe('unauthorized');
    const pair = await h.signIn();
    h.t.clock.advance(30 * 24 * 3600 * 1000 + 1);
    const res = await h.post('/auth/refresh', { refreshToken: pair.refreshToken });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  it('refresh picks up the current globalRole and tokenVersion; a stale access token is 401 so clients refresh', async () => {
    const u = await h.user({ email: 'staff@example.com' });
    const pair = await h.signIn('staff@example.com', 'user-password-1');
    expect(decodeJwt(pair.accessToken)).toMatchObject({ globalRole: 'NONE', roles: 'User', tokenVersion: 1 });
    h.t.deps.sqlite.transaction(() => {
      h.t.deps.sqlite.prepare("UPDATE users SET global_role = 'PLATFORM_ADMIN' WHERE id = ?").run(u.id);
      bumpTokenVersion(h.t.deps, u.id);
    })();
    const stale = await h.get('/auth/me', pair.accessToken);
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('unauthorized');
    const fresh = (await h.post('/auth/refresh', { refreshToken: pair.refreshToken })).json().data;
    expect(decodeJwt(fresh.accessToken)).toMatchObject({ globalRole: 'PLATFORM_ADMIN', roles: 'PlatformAdmin', tokenVersion: 2 });
    expect((await h.get('/auth/me', fresh.accessToken)).statusCode).toBe(200);
  });

  it('refresh of a user who was deactivated fails with the login code', async () => {
    const u = await h.user({ email: 'leaver@example.com' });
    const pair = await h.signIn('leaver@example.com', 'user-password-1');
    h.t.deps.sqlite.prepare('UPDATE users SET is_active = 0 WHERE id = ?').run(u.id);
    const res = await h.post('/auth/refresh', { refreshToken: pair.refreshToken });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('account_inactive');
  });

  it('logout ends the session; it is idempotent and says ok for unknown tokens', async () => {
    const pair = await h.signIn();
    const out = await h.post('/auth/logout', { refreshToken: pair.refreshToken });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ success: true, data: { status: 'ok' } });
    expect((await h.post('/auth/logout', { refreshToken: pair.refreshToken })).json().data.status).toBe('ok');
    expect((await h.post('/auth/logout', { refreshToken: 'unknown' })).json().data.status).toBe('ok');
    expect((await h.post('/auth/refresh', { refreshToken: pair.refreshToken })).json().error.code).toBe('session_revoked');
    expect(h.audit('user.signed_out')).toHaveLength(1);
    expect(h.audit('session.revoked')).toEqual([expect.objectContaining({ payload: expect.objectContaining({ reason: 'logout' }) })]);
  });

  it('logout-all revokes every session of the caller and bumps tokenVersion', async () => {
    const a = await h.signIn();
    const b = await h.signIn();
    const other = await h.user({ email: 'other@example.com' });
    const c = await h.signIn('other@example.com', 'user-password-1');
    expect((await h.post('/auth/logout-all', {}, { token: a.accessToken })).json()).toEqual({ success: true, data: { status: 'ok' } });
    expect((await h.get('/auth/me', b.accessToken)).json().error.code).toBe('session_revoked');
    expect((await h.post('/auth/refresh', { refreshToken: b.refreshToken })).json().error.code).toBe('session_revoked');
    const version = h.t.deps.sqlite.prepare('SELECT token_version FROM users WHERE id = ?').get(h.t.admin.id) as { token_version: number };
    expect(version.token_version).toBe(2);
    // Someone else's session is untouched.
    expect((await h.get('/auth/me', c.accessToken)).json().data.id).toBe(other.id);
    expect(h.audit('session.revoked_all')).toEqual([expect.objectContaining({ target_id: h.t.admin.id })]);
    expect((await h.app.inject({ method: 'POST', url: '/auth/logout-all' })).statusCode).toBe(401);
  });

  it('every auth route is in /openapi.json', async () => {
    const paths = Object.keys((await h.get('/openapi.json')).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/auth/register',
        '/auth/login',
        '/auth/refresh',
        '/auth/logout',
        '/auth/logout-all',
        '/auth/me',
        '/auth/password-reset/request',
        '/auth/password-reset/confirm',
      ]),
    );
  });

  it('GET /auth/me answers the §4.6 shape', async () => {
    const pair = await h.signIn();
    const res = await h.get('/auth/me', pair.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({
      id: h.t.admin.id,
      email: ADMIN_EMAIL,
      name: 'Platform Admin',
      sessionId: decodeJwt(pair.accessToken).sessionId,
      authType: 'internal',
      globalRole: 'PLATFORM_SUPERADMIN',
      roles: 'Admin',
      tokenVersion: 1,
      isVendor: false,
      vendorId: null,
      approvalStatus: 'APPROVED',
      isActive: true,
      authProvider: 'password',
      phoneNumber: null,
      profilePictureUrl: null,
      companyMemberships: [],
      businessUnitMemberships: [],
    });
  });
});
