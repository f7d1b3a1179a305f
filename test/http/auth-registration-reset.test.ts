import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { authHarness, ADMIN_EMAIL, ADMIN_PASSWORD, type AuthHarness } from '../support/auth.ts';

describe('POST /auth/register', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h.close();
  });

  it('creates a PENDING, inactive user, returns no tokens, queues registration-received, audits user.registered', async () => {
    h = await authHarness({ publicRegistration: true });
    const res = await h.post('/auth/register', {
      email: 'New.User@Example.com',
      password: 'at-least-8',
      fullName: 'New User',
      phoneNumber: '',
      profilePictureUrl: '',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ success: true, data: { email: 'new.user@example.com', status: 'pending' } });
    const row = h.t.deps.sqlite.prepare('SELECT * FROM users WHERE email = ?').get('new.user@example.com') as Record<string, unknown>;
    expect(row).toMatchObject({
      approval_status: 'PENDING',
      is_active: 0,
      global_role: 'NONE',
      auth_provider: 'password',
      phone_number: null,
      profile_picture_url: null,
    });
    expect(h.outbox('registration-received')).toEqual([
      expect.objectContaining({ to_address: 'new.user@example.com', data: expect.objectContaining({ fullName: 'New User' }) }),
    ]);
    expect(h.audit('user.registered')).toEqual([expect.objectContaining({ actor_type: 'anonymous', target_id: row.id })]);
  });

  it('keeps optional fields and the authProvider enum; rejects unknown providers and short passwords', async () => {
    h = await authHarness({ publicRegistration: true });
    const ok = await h.post('/auth/register', {
      email: 'g@example.com',
      password: 'password-1',
      fullName: 'G',
      phoneNumber: '+49 30 1234',
      profilePictureUrl: 'https://cdn.example.com/g.png',
      authProvider: 'google',
    });
    expect(ok.statusCode).toBe(201);
    expect(h.t.deps.sqlite.prepare('SELECT auth_provider, phone_number FROM users WHERE email = ?').get('g@example.com')).toEqual({
      auth_provider: 'google',
      phone_number: '+49 30 1234',
    });
    const badProvider = await h.post('/auth/register', { email: 'x@example.com', password: 'password-1', fullName: 'X', authProvider: 'facebook' });
    expect(badProvider.statusCode).toBe(400);
    const shortPassword = await h.post('/auth/register', { email: 'y@example.com', password: 'short', fullName: 'Y' });
    expect(shortPassword.statusCode).toBe(400);
    expect(shortPassword.json().error.code).toBe('validation_error');
  });

  it('is 403 registration_disabled when the flag is off, even for a malformed body', async () => {
    h = await authHarness();
    const res = await h.post('/auth/register', { nonsense: true });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('registration_disabled');
  });
});

describe('password reset', () => {
  let h: AuthHarness;
  afterEach(async () => {
    await h.close();
  });

  const requestReset = (email: string) => h.post('/auth/password-reset/request', { email, accountType: '' });
  const tokenFromMail = () => {
    const mails = h.outbox('password-reset');
    const link = String(mails[mails.length - 1].data.resetUrl);
    return new URL(link).searchParams.get('token')!;
  };

  it('always answers ok; mails a frontend link for real accounts only; never returns the token by default', async () => {
    h = await authHarness({ frontendUrl: 'https://app.example.com' });
    const known = await requestReset(ADMIN_EMAIL);
    const unknown = await requestReset('nobody@example.com');
    expect(known.statusCode).toBe(200);
    expect(known.json()).toEqual({ success: true, data: { status: 'ok' } });
    expect(unknown.json()).toEqual(known.json());
    const mails = h.outbox('password-reset');
    expect(mails).toHaveLength(1);
    expect(mails[0].to_address).toBe(ADMIN_EMAIL);
    expect(String(mails[0].data.resetUrl)).toMatch(/^https:\/\/app\.example\.com\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
    expect(h.audit('password_reset.requested')).toEqual([expect.objectContaining({ target_id: h.t.admin.id })]);
    const stored = h.t.deps.sqlite.prepare('SELECT token_hash FROM password_reset_tokens').all() as { token_hash: string }[];
    expect(stored.map((r) => r.token_hash)).not.toContain(tokenFromMail());
  });

  it('returns the token in the response only with KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN=true', async () => {
    h = await authHarness({ exposePasswordResetToken: true });
    const res = await requestReset(ADMIN_EMAIL);
    expect(res.json().data).toEqual({ status: 'ok', token: tokenFromMail() });
    expect((await requestReset('nobody@example.com')).json().data).toEqual({ status: 'ok' });
  });

  it('confirm sets the password, ends every session, bumps tokenVersion, mails password-changed; the token is single-use', async () => {
    h = await authHarness();
    const before = await h.signIn();
    await requestReset(ADMIN_EMAIL);
    const token = tokenFromMail();
    const res = await h.post('/auth/password-reset/confirm', { token, newPassword: 'brand-new-password' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, data: { status: 'ok' } });

    expect((await h.get('/auth/me', before.accessToken)).json().error.code).toBe('session_revoked');
    expect((await h.post('/auth/refresh', { refreshToken: before.refreshToken })).json().error.code).toBe('session_revoked');
    expect((await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).statusCode).toBe(401);
    const after = await h.signIn(ADMIN_EMAIL, 'brand-new-password');
    expect(decodeJwt(after.accessToken).tokenVersion).toBe(2);
    expect(h.outbox('password-changed')).toEqual([expect.objectContaining({ to_address: ADMIN_EMAIL })]);
    expect(h.audit('user.password_changed')).toEqual([expect.objectContaining({ target_id: h.t.admin.id })]);
    expect(JSON.stringify(h.audit('user.password_changed'))).not.toContain('brand-new-password');

    const again = await h.post('/auth/password-reset/confirm', { token, newPassword: 'another-password' });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.code).toBe('validation_error');
  });

  it('rejects expired, superseded and made-up tokens and short passwords with 400', async () => {
    h = await authHarness();
    await requestReset(ADMIN_EMAIL);
    const first = tokenFromMail();
    await requestReset(ADMIN_EMAIL);
    const second = tokenFromMail();
    const confirm = (token: string, newPassword = 'brand-new-password') => h.post('/auth/password-reset/confirm', { token, newPassword });

    expect((await confirm(first)).json().error.code).toBe('validation_error'); // superseded by the newer request
    expect((await confirm('made-up')).json().error.code).toBe('validation_error');
    expect((await confirm(second, 'short')).json().error.code).toBe('validation_error');
    h.t.clock.advance(60 * 60_000 + 1);
    const expired = await confirm(second);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().error.code).toBe('validation_error');
    expect((await h.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).statusCode).toBe(200);
  });
});
