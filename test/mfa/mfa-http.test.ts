import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { authHarness, type AuthHarness } from '../support/auth.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { addMember } from '../support/members.ts';
import { codeNow } from '../support/mfa.ts';

const PASSWORD = 'user-password-1';

/** The MFA routes through the real fastify server (inject), and one sign-in over a listening socket. */
describe('HTTP: TOTP MFA routes', () => {
  let h: AuthHarness;
  const step = () => h.t.clock.advance(30_000);
  const login = (email: string, password = PASSWORD) => h.post('/auth/login', { email, password, accountType: '' });

  /** Enrols TOTP over HTTP as a signed-in user; returns the secret and the recovery codes. */
  async function enrolOverHttp(email: string): Promise<{ secret: string; recoveryCodes: string[]; accessToken: string }> {
    const { accessToken } = await h.signIn(email, PASSWORD);
    const enrolled = await h.post('/auth/mfa/totp/enroll', {}, { token: accessToken });
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const { secret } = enrolled.json().data;
    const confirmed = await h.post('/auth/mfa/totp/confirm', { code: codeNow(h.t.deps, secret) }, { token: accessToken });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    step();
    return { secret, recoveryCodes: confirmed.json().data.recoveryCodes, accessToken };
  }

  beforeAll(async () => {
    h = await authHarness();
  });
  afterAll(() => h.close());

  it('users without MFA get exactly the token pair they always got', async () => {
    await h.user({ email: 'plain@example.com' });
    const res = await login('plain@example.com');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().data).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
  });

  it('enrol, confirm, then /auth/login answers mfaRequired and /auth/mfa/verify completes it with the login response', async () => {
    await h.user({ email: 'jane@example.com' });
    const { secret, accessToken } = await enrolOverHttp('jane@example.com');
    const status = await h.get('/auth/mfa', accessToken);
    expect(status.json().data).toMatchObject({ totp: 'active', recoveryCodes: { unused: 10, total: 10 }, requiredBy: [] });

    const first = await login('jane@example.com');
    expect(first.statusCode).toBe(200);
    const challenge = first.json().data;
    expect(challenge).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery_code'], expiresIn: 300 });

    const verified = await h.post('/auth/mfa/verify', { mfaToken: challenge.mfaToken, code: codeNow(h.t.deps, secret) });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(Object.keys(verified.json().data).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    const me = await h.get('/auth/me', verified.json().data.accessToken);
    expect(me.json().data).toMatchObject({ email: 'jane@example.com', authType: 'internal' });
    // The same mfaToken again: spent.
    step();
    const again = await h.post('/auth/mfa/verify', { mfaToken: challenge.mfaToken, code: codeNow(h.t.deps, secret) });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('unauthorized');
  });

  it('refuses a verify without exactly one of code and recoveryCode (400), and an unknown mfaToken (401)', async () => {
    expect((await h.post('/auth/mfa/verify', { mfaToken: 'x' })).statusCode).toBe(400);
    expect((await h.post('/auth/mfa/verify', { mfaToken: 'x', code: '123456', recoveryCode: 'abcd' })).statusCode).toBe(400);
    const unknown = await h.post('/auth/mfa/verify', { mfaToken: 'not-a-token', code: '123456' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual({ success: false, error: { code: 'unauthorized', message: expect.stringMatching(/sign in again/) } });
  });

  it('regenerates recovery codes with a current code, and disables with the password', async () => {
    await h.user({ email: 'kim@example.com' });
    const { secret, recoveryCodes, accessToken } = await enrolOverHttp('kim@example.com');
    const regenerated = await h.post('/auth/mfa/recovery-codes/regenerate', { code: codeNow(h.t.deps, secret) }, { token: accessToken });
    expect(regenerated.statusCode, regenerated.body).toBe(200);
    expect(regenerated.json().data.recoveryCodes).toHaveLength(10);
    expect(regenerated.json().data.recoveryCodes).not.toContain(recoveryCodes[0]);

    expect((await h.post('/auth/mfa/totp/disable', { password: 'not-the-password' }, { token: accessToken })).statusCode).toBe(401);
    expect((await h.post('/auth/mfa/totp/disable', { password: PASSWORD })).statusCode).toBe(401); // no Bearer
    const disabled = await h.post('/auth/mfa/totp/disable', { password: PASSWORD }, { token: accessToken });
    expect(disabled.json()).toEqual({ success: true, data: { status: 'disabled' } });
    expect(Object.keys((await login('kim@example.com')).json().data)).toContain('accessToken');
    expect(h.audit('mfa.totp_disabled')).toHaveLength(1);
  });

  it('enforced by a tenant: login answers mfaEnrollmentRequired, enrol and confirm with the mfaToken complete the sign-in', async () => {
    const acme = await createTenant(h.t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    const member = await h.user({ email: 'member@acme.com' });
    addMember(h.t.deps, acme.id, member.id, 'SUBMITTER');
    setTenantMfaRequirement(h.t.deps, cliOperator(), 'acme', true);

    const answer = (await login('member@acme.com')).json().data;
    expect(answer).toEqual({
      mfaRequired: true,
      mfaEnrollmentRequired: true,
      mfaToken: expect.any(String),
      methods: ['totp'],
      expiresIn: 900,
      requiredBy: ['acme'],
    });
    // The enrolment token is no Bearer token: it opens nothing else.
    expect((await h.get('/auth/me', answer.mfaToken)).statusCode).toBe(401);
    expect((await h.post('/auth/mfa/totp/enroll', {})).statusCode).toBe(401);

    const enrolled = await h.post('/auth/mfa/totp/enroll', { mfaToken: answer.mfaToken });
    expect(enrolled.statusCode, enrolled.body).toBe(200);
    const confirmed = await h.post('/auth/mfa/totp/confirm', { mfaToken: answer.mfaToken, code: codeNow(h.t.deps, enrolled.json().data.secret) });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const body = confirmed.json().data;
    expect(body.recoveryCodes).toHaveLength(10);
    expect((await h.get('/auth/me', body.login.accessToken)).json().data.email).toBe('member@acme.com');
    // Now a normal MFA user.
    step();
    expect((await login('member@acme.com')).json().data).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
  });

  it('signs in with MFA over a listening socket', async () => {
    await h.user({ email: 'socket@example.com' });
    const { secret } = await enrolOverHttp('socket@example.com');
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const post = async (path: string, body: unknown) =>
      (await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const first = await post('/auth/login', { email: 'socket@example.com', password: PASSWORD });
    expect(first.data.mfaRequired).toBe(true);
    const done = await post('/auth/mfa/verify', { mfaToken: first.data.mfaToken, code: codeNow(h.t.deps, secret) });
    expect(done.data.tokenType).toBe('Bearer');
  });

  it('documents every MFA route with an operationId, and the login response as the token pair or MfaRequired', async () => {
    const doc = (await h.get('/openapi.json')).json();
    const ops: Record<string, string> = {
      '/auth/mfa/verify': 'verifyMfa',
      '/auth/mfa/totp/enroll': 'enrollTotp',
      '/auth/mfa/totp/confirm': 'confirmTotp',
      '/auth/mfa/totp/disable': 'disableTotp',
      '/auth/mfa/recovery-codes/regenerate': 'regenerateRecoveryCodes',
      '/auth/magic-link/request': 'requestMagicLink',
      '/auth/magic-link/verify': 'verifyMagicLink',
    };
    for (const [path, operationId] of Object.entries(ops)) expect(doc.paths[path].post.operationId).toBe(operationId);
    expect(doc.paths['/auth/mfa'].get.operationId).toBe('getMfaStatus');
    expect(doc.paths['/auth/mfa/totp/enroll'].post.security).toEqual([{ bearerAuth: [] }, {}]);
    const login = JSON.stringify(doc.paths['/auth/login'].post.responses['200']);
    expect(login).toContain('#/components/schemas/MfaRequired');
    expect(doc.components.schemas.MfaRequired.properties).toHaveProperty('mfaToken');
  });
});
