import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userPrincipal } from '../../src/authorization/principal.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { ANONYMOUS_HTTP } from '../../src/audit/actors.ts';
import { createLoginThrottle, FREE_FAILURES } from '../../src/identity/login-throttle.ts';
import { confirmTotp, disableTotp, enrollTotp, regenerateRecoveryCodes, resetUserMfa } from '../../src/mfa/enrollment.ts';
import { isMfaRequired, MAX_CODE_FAILURES_PER_TOKEN, MFA_TOKEN_TTL_MS, signInWithPassword, verifyMfaSignIn, type MfaRequired } from '../../src/mfa/sign-in.ts';
import { mfaStatus } from '../../src/mfa/status.ts';
import { purgeSpentSignInSteps } from '../../src/mfa/retention.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { matchingTotpStep, totpCodeAt } from '../../src/mfa/totp.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createUser } from '../../src/identity/users.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { addMember } from '../support/members.ts';
import { CLIENT, codeNow, enrolTotp } from '../support/mfa.ts';

const PASSWORD = 'user-password-1';

describe('TOTP codes (RFC 6238, 30 s, ±1 step)', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const T = 1_772_366_400; // a step boundary (2026-03-01T12:00:00Z)

  it('matches the RFC 6238 SHA-1 test vector', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits); its last 6 digits.
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totpCodeAt(rfcSecret, 59)).toBe('287082');
    expect(matchingTotpStep(rfcSecret, '287082', 59, null)).toBe(1);
  });

  it('accepts a code from one step before its own until one step after, and nothing further', () => {
    const code = totpCodeAt(secret, T);
    const step = T / 30;
    expect(matchingTotpStep(secret, code, T - 31, null)).toBeNull();
    expect(matchingTotpStep(secret, code, T - 30, null)).toBe(step);
    expect(matchingTotpStep(secret, code, T, null)).toBe(step);
    expect(matchingTotpStep(secret, code, T + 59, null)).toBe(step);
    expect(matchingTotpStep(secret, code, T + 60, null)).toBeNull();
  });

  it('refuses a step at or before the last one accepted, and malformed input', () => {
    const code = totpCodeAt(secret, T);
    expect(matchingTotpStep(secret, code, T, T / 30)).toBeNull();
    expect(matchingTotpStep(secret, code, T, T / 30 - 1)).toBe(T / 30);
    expect(matchingTotpStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, T, null)).toBe(T / 30);
    expect(matchingTotpStep(secret, 'abcdef', T, null)).toBeNull();
    expect(matchingTotpStep(secret, '1234567', T, null)).toBeNull();
  });
});

describe('TOTP MFA services with an injected clock', () => {
  let t: TestInstance;
  let user: UserRow;
  const caller = () => userPrincipal(user.id, user.globalRole, 'http');
  const throttle = () => createLoginThrottle(t.clock);
  const advance = (ms: number) => t.clock.advance(ms);
  const login = (th = throttle()) => signInWithPassword(t.deps, ANONYMOUS_HTTP, { email: user.email, password: PASSWORD }, CLIENT, th);
  const audit = (type: string) =>
    (t.deps.sqlite.prepare('SELECT payload FROM audit_entries WHERE event_type = ? ORDER BY id').all(type) as { payload: string }[]).map((r) => JSON.parse(r.payload));

  beforeEach(async () => {
    t = await createTestInstance({ file: true });
    user = await createUser(t.deps, { email: 'jane@example.com', fullName: 'Jane', password: PASSWORD, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  });
  afterEach(() => t.close());

  it('enrols: a pending secret until a code confirms it, then ten recovery codes, shown once', async () => {
    const enrolment = await enrollTotp(t.deps, caller(), {});
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUrl).toBe(`otpauth://totp/kimauth:jane%40example.com?secret=${enrolment.secret}&issuer=kimauth`);
    expect(enrolment.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(enrolment.qrCode.split(',')[1], 'base64').toString()).toContain('<svg');
    expect(mfaStatus(t.deps, caller(), user.id).totp).toBe('pending');
    // Pending is not enrolled: the password alone still signs in.
    expect(isMfaRequired(await login())).toBe(false);

    await expect(confirmTotp(t.deps, caller(), { code: '000000' }, CLIENT, throttle())).rejects.toMatchObject({ code: 'unauthorized' });
    const confirmed = await confirmTotp(t.deps, caller(), { code: codeNow(t.deps, enrolment.secret) }, CLIENT, throttle());
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.recoveryCodes).size).toBe(10);
    for (const code of confirmed.recoveryCodes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(mfaStatus(t.deps, caller(), user.id)).toMatchObject({ totp: 'active', recoveryCodes: { unused: 10, total: 10 }, requiredBy: [] });
    await expect(enrollTotp(t.deps, caller(), {})).rejects.toMatchObject({ code: 'conflict' });
    expect(audit('mfa.totp_enabled')).toEqual([{ userId: user.id, recoveryCodes: 10, viaEnrollmentToken: false }]);
  });

  it('signs in with a code inside the window; a used code (or an older one) is refused', async () => {
    const { secret } = await enrolTotp(t.deps, user, advance);
    const first = (await login()) as MfaRequired;
    expect(first).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'], expiresIn: 300 });
    expect(first).not.toHaveProperty('accessToken');

    const code = codeNow(t.deps, secret);
    t.clock.advance(25_000); // same step, a few seconds later
    const pair = await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: first.mfaToken, code }, CLIENT, throttle());
    expect(pair).toMatchObject({ tokenType: 'Bearer' });
    expect(audit('user.signed_in').at(-1)).toMatchObject({ method: 'password', mfa: 'totp' });

    // Replay of the same code in a second sign-in, still inside its window: refused.
    const second = (await login()) as MfaRequired;
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, code }, CLIENT, throttle())).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'Invalid code',
    });
    // The previous step's code is older than the one used: refused too.
    await expect(
      verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, code: codeNow(t.deps, secret, -30) }, CLIENT, throttle()),
    ).rejects.toMatchObject({ message: 'Invalid code' });
    // The next step's code (clock drift ahead) works.
    await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, code: codeNow(t.deps, secret, 30) }, CLIENT, throttle());
  });

  it('an mfaToken is single use, expires after 5 minutes, and burns after five wrong codes', async () => {
    const { secret } = await enrolTotp(t.deps, user, advance);
    const first = (await login()) as MfaRequired;
    await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: first.mfaToken, code: codeNow(t.deps, secret) }, CLIENT, throttle());
    t.clock.advance(30_000);
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: first.mfaToken, code: codeNow(t.deps, secret) }, CLIENT, throttle())).rejects.toMatchObject({
      code: 'unauthorized',
      message: /expired or was already completed/,
    });

    const late = (await login()) as MfaRequired;
    t.clock.advance(MFA_TOKEN_TTL_MS);
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: late.mfaToken, code: codeNow(t.deps, secret) }, CLIENT, throttle())).rejects.toMatchObject({
      message: /expired/,
    });

    const guessed = (await login()) as MfaRequired;
    for (let i = 0; i < MAX_CODE_FAILURES_PER_TOKEN; i++) {
      // A fresh throttle each time: this is the per-token limit, not the per-IP slowdown.
      await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: guessed.mfaToken, code: '000000' }, CLIENT, throttle())).rejects.toMatchObject({
        message: 'Invalid code',
      });
    }
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: guessed.mfaToken, code: codeNow(t.deps, secret) }, CLIENT, throttle())).rejects.toMatchObject({
      message: /expired/,
    });
    expect(audit('user.mfa_failed')).toHaveLength(MAX_CODE_FAILURES_PER_TOKEN);
  });

  it('sweeps mfaTokens a day after they were spent or expired, audited', async () => {
    await enrolTotp(t.deps, user, advance);
    await login();
    expect(purgeSpentSignInSteps(t.deps, cliOperator())).toEqual({ mfaChallenges: 0, magicLinks: 0, passkeyChallenges: 0 });
    t.clock.advance(MFA_TOKEN_TTL_MS + 24 * 60 * 60_000 + 1);
    expect(purgeSpentSignInSteps(t.deps, cliOperator())).toEqual({ mfaChallenges: 1, magicLinks: 0, passkeyChallenges: 0 });
    expect(audit('sign_in_steps.purged')).toHaveLength(1);
  });

  it('throttles wrong codes per user and IP like wrong passwords (429 with Retry-After), another IP unaffected', async () => {
    const { secret } = await enrolTotp(t.deps, user, advance);
    const shared = throttle();
    for (let i = 0; i <= FREE_FAILURES; i++) {
      const challenge = (await login()) as MfaRequired;
      await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: challenge.mfaToken, code: '000000' }, CLIENT, shared)).rejects.toMatchObject({
        code: 'unauthorized',
      });
    }
    const blocked = (await login()) as MfaRequired;
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: blocked.mfaToken, code: codeNow(t.deps, secret) }, CLIENT, shared)).rejects.toMatchObject({
      code: 'rate_limited',
      details: { retryAfterSeconds: 1 },
    });
    await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: blocked.mfaToken, code: codeNow(t.deps, secret) }, { ip: '10.0.0.9' }, shared);
  });

  it('recovery codes work once each, and regenerating replaces them all', async () => {
    const { secret, recoveryCodes } = await enrolTotp(t.deps, user, advance);
    const first = (await login()) as MfaRequired;
    // Typed back in upper case with spaces: still the code.
    const typed = recoveryCodes[0].toUpperCase().replace(/-/g, ' ');
    await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: first.mfaToken, recoveryCode: typed }, CLIENT, throttle());
    expect(audit('mfa.recovery_code_used')).toEqual([{ userId: user.id, remaining: 9, ip: CLIENT.ip }]);
    expect(audit('user.signed_in').at(-1)).toMatchObject({ mfa: 'recovery_code' });

    const second = (await login()) as MfaRequired;
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, recoveryCode: recoveryCodes[0] }, CLIENT, throttle())).rejects.toMatchObject({
      message: 'Invalid code',
    });
    expect(mfaStatus(t.deps, caller(), user.id).recoveryCodes).toEqual({ unused: 9, total: 10 });

    expect(() => regenerateRecoveryCodes(t.deps, caller(), { code: '000000' }, CLIENT, throttle())).toThrow('Invalid code');
    const fresh = regenerateRecoveryCodes(t.deps, caller(), { code: codeNow(t.deps, secret) }, CLIENT, throttle()).recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[1]);
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, recoveryCode: recoveryCodes[1] }, CLIENT, throttle())).rejects.toMatchObject({
      message: 'Invalid code',
    });
    await verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: second.mfaToken, recoveryCode: fresh[1] }, CLIENT, throttle());
    expect(audit('mfa.recovery_codes_regenerated')).toHaveLength(1);
  });

  it('disables with a current code or the password (not with a wrong one); the password alone signs in again', async () => {
    const { secret } = await enrolTotp(t.deps, user, advance);
    await expect(disableTotp(t.deps, caller(), { password: 'wrong-password-1' }, CLIENT, throttle())).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(disableTotp(t.deps, caller(), { code: '000000' }, CLIENT, throttle())).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(disableTotp(t.deps, caller(), {}, CLIENT, throttle())).rejects.toMatchObject({ code: 'validation_error' });
    // An mfaToken issued before the change dies with it.
    const pending = (await login()) as MfaRequired;
    await disableTotp(t.deps, caller(), { code: codeNow(t.deps, secret) }, CLIENT, throttle());
    expect(mfaStatus(t.deps, caller(), user.id)).toMatchObject({ totp: 'none', recoveryCodes: { unused: 0, total: 0 } });
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: pending.mfaToken, code: codeNow(t.deps, secret, 30) }, CLIENT, throttle())).rejects.toMatchObject({
      message: /expired/,
    });
    expect(isMfaRequired(await login())).toBe(false);

    await enrolTotp(t.deps, user, advance);
    await disableTotp(t.deps, caller(), { password: PASSWORD }, CLIENT, throttle());
    expect(audit('mfa.totp_disabled').map((p) => p.provenBy)).toEqual(['totp', 'password']);
  });

  it('a tenant that requires MFA: members without it must enrol (token good for enrol + confirm only), and may not turn it off', async () => {
    const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    addMember(t.deps, acme.id, user.id, 'SUBMITTER');
    expect(() => setTenantMfaRequirement(t.deps, caller(), 'acme', true)).toThrow(/platform admins/);
    setTenantMfaRequirement(t.deps, cliOperator(), 'acme', true);

    const answer = (await login()) as MfaRequired;
    expect(answer).toMatchObject({ mfaRequired: true, mfaEnrollmentRequired: true, methods: ['totp'], requiredBy: ['acme'], expiresIn: 900 });
    // The enrolment token is not a verify token.
    await expect(verifyMfaSignIn(t.deps, ANONYMOUS_HTTP, { mfaToken: answer.mfaToken, code: '123456' }, CLIENT, throttle())).rejects.toMatchObject({
      code: 'unauthorized',
    });
    const { secret } = await enrollTotp(t.deps, ANONYMOUS_HTTP, { mfaToken: answer.mfaToken });
    const confirmed = await confirmTotp(t.deps, ANONYMOUS_HTTP, { code: codeNow(t.deps, secret), mfaToken: answer.mfaToken }, CLIENT, throttle());
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(confirmed.login).toMatchObject({ tokenType: 'Bearer' });
    expect(audit('user.signed_in').at(-1)).toMatchObject({ mfa: 'totp', enrolled: true });
    // Spent with the confirmation.
    await expect(enrollTotp(t.deps, ANONYMOUS_HTTP, { mfaToken: answer.mfaToken })).rejects.toMatchObject({ code: 'unauthorized' });

    t.clock.advance(30_000);
    expect(await login()).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    await expect(disableTotp(t.deps, caller(), { code: codeNow(t.deps, secret) }, CLIENT, throttle())).rejects.toMatchObject({
      code: 'forbidden',
      message: /required by acme/,
    });
    expect(mfaStatus(t.deps, caller(), user.id).requiredBy).toEqual(['acme']);

    // The operator resets a lost phone: enrolment is required again at the next sign-in.
    resetUserMfa(t.deps, cliOperator(), user.id);
    expect(await login()).toMatchObject({ mfaEnrollmentRequired: true });
    setTenantMfaRequirement(t.deps, cliOperator(), 'acme', false);
    expect(isMfaRequired(await login())).toBe(false);
  });

  it('keeps the secret out of the database file: sealed with the master key, never in clear', async () => {
    const { secret, recoveryCodes } = await enrolTotp(t.deps, user, advance);
    const raw = Buffer.from(secret);
    t.deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const file = path.join(t.deps.config.dataDir, 'kimauth.db');
    for (const candidate of [file, `${file}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(candidate);
      } catch (err) {
        if (candidate === file) throw err; // the database file itself must be there; a WAL may not be
        continue;
      }
      // The file is readable as it is: the user's address, stored in clear, is found in it.
      if (candidate === file) expect(bytes.includes(Buffer.from(user.email))).toBe(true);
      expect(bytes.includes(raw)).toBe(false);
      expect(bytes.includes(Buffer.from(secret.toLowerCase()))).toBe(false);
      for (const code of recoveryCodes) expect(bytes.includes(Buffer.from(code))).toBe(false);
    }
    const stored = t.deps.sqlite.prepare('SELECT secret_sealed FROM mfa_totp WHERE user_id = ?').get(user.id) as { secret_sealed: string };
    expect(stored.secret_sealed.startsWith(`${t.deps.masterKeys.currentId}.`)).toBe(true);
    expect(stored.secret_sealed).not.toContain(secret);
  });
});
