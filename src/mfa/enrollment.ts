import { deletePasskeysOf } from '../passkeys/store.ts';
import type { Deps } from '../app/deps.ts';
import { AppError, conflict, forbidden, validationError } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { Actor } from '../audit/audit-log.ts';
import { beginSignedInSession, signInCandidate, type ClientInfo } from '../identity/login.ts';
import type { LoginThrottle } from '../identity/login-throttle.ts';
import type { SignInUser } from '../identity/login-users.ts';
import { verifyPassword } from '../identity/passwords.ts';
import { findUserById } from '../identity/users.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { acceptSecondFactor, acceptTotpCode, issueRecoveryCodes, openTotpSecret, sealTotpSecret } from './second-factor.ts';
import { assertNotThrottled, mfaThrottleKey, usableChallenge } from './sign-in.ts';
import { deleteRecoveryCodes, deleteTotp, findTotp, spendChallenge, spendChallengesOf, upsertPendingTotp } from './store.ts';
import { tenantsRequiringMfaOf } from './tenant-requirement.ts';
import { newTotpSecret, totpQrSvgDataUrl, totpUri } from './totp.ts';

/**
 * A user's own authenticator: enrol (a pending secret), confirm with a first code (active, ten recovery codes
 * shown once), regenerate the recovery codes, disable. The caller is the signed-in user (Bearer) — or, when a
 * tenant requires MFA and the user has none yet, the holder of the enrolment mfaToken that /auth/login answered,
 * which allows only enrol and confirm, and whose confirmation completes that sign-in.
 */
interface Subject {
  userId: string;
  actor: Actor;
  /** The enrolment challenge this request came with. */
  challengeHash?: string;
}

function subjectOf(deps: Deps, caller: Principal, mfaToken: string | undefined): Subject {
  if (mfaToken !== undefined) {
    const challenge = usableChallenge(deps, mfaToken, 'enroll');
    if (!challenge) throw new AppError('unauthorized', 'This enrolment step has expired or was already completed; sign in again');
    return { userId: challenge.user_id, actor: provenUser(caller, challenge.user_id), challengeHash: challenge.token_hash };
  }
  if (caller.type !== 'user') throw new AppError('unauthorized', 'Sign in first, or pass the mfaToken of a sign-in that requires enrolment');
  authorize(deps, caller, 'mfa.self', { userId: caller.id });
  return { userId: caller.id, actor: caller };
}

export interface TotpEnrollment {
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  otpauthUrl: string;
  /** The otpauth URI as a QR code, `data:image/svg+xml;base64,…`. */
  qrCode: string;
  period: number;
  digits: number;
  algorithm: 'SHA1';
}

/** POST /auth/mfa/totp/enroll: a new pending secret (replacing an earlier pending one); 409 when TOTP is already on. */
export async function enrollTotp(deps: Deps, caller: Principal, input: { mfaToken?: string }): Promise<TotpEnrollment> {
  const subject = subjectOf(deps, caller, input.mfaToken);
  const user = findUserById(deps, subject.userId);
  if (!user || user.deletedAt) throw new AppError('unauthorized', 'Sign in again');
  const secret = newTotpSecret();
  deps.sqlite.transaction(() => {
    if (findTotp(deps, user.id)?.status === 'active') throw conflict('TOTP is already enabled; disable it first to enrol a new authenticator');
    upsertPendingTotp(deps, user.id, sealTotpSecret(deps, user.id, secret), deps.clock.nowMs());
    deps.audit.append(deps.platformTenantId(), {
      actor: subject.actor,
      type: 'mfa.totp_enrollment_started',
      target: { type: 'user', id: user.id },
      payload: { userId: user.id, viaEnrollmentToken: Boolean(subject.challengeHash) },
    });
  })();
  const otpauthUrl = totpUri(secret, deps.config.emailAppName, user.email);
  return { secret, otpauthUrl, qrCode: await totpQrSvgDataUrl(otpauthUrl), period: 30, digits: 6, algorithm: 'SHA1' };
}

export interface TotpConfirmation {
  status: 'enabled';
  /** Shown once; only their hashes are kept. */
  recoveryCodes: string[];
  /** When confirmed with an enrolment mfaToken: the sign-in it completes (the normal login response). */
  login?: TokenPair;
}

interface ConfirmOutcome<T> {
  recoveryCodes: string[];
  refused?: AppError;
  started?: T;
}

const wrongCode = () => new AppError('unauthorized', 'Invalid code');

/** Runs a code-checked change: throttled per (user, IP) like passwords; a wrong code is counted and audited. */
function withCodeCheck<T>(
  deps: Deps,
  subject: Subject,
  client: ClientInfo,
  throttle: LoginThrottle,
  change: () => { value: T } | { wrong: string },
): T {
  assertNotThrottled(throttle, subject.userId, client.ip);
  const outcome = deps.sqlite.transaction(() => {
    const result = change();
    if ('wrong' in result) {
      deps.audit.append(deps.platformTenantId(), {
        actor: subject.actor,
        type: 'user.mfa_failed',
        target: { type: 'user', id: subject.userId },
        payload: { userId: subject.userId, during: result.wrong, ip: client.ip },
      });
    }
    return result;
  })();
  if ('wrong' in outcome) {
    throttle.recordFailure(mfaThrottleKey(subject.userId), client.ip);
    throw wrongCode();
  }
  throttle.recordSuccess(mfaThrottleKey(subject.userId), client.ip);
  return outcome.value;
}

/**
 * The one confirmation: the pending authenticator becomes active with its first code, ten recovery codes are
 * issued; with an enrolment mfaToken the waiting sign-in completes in the same transaction through `complete`
 * (a token pair's session for /auth, an SSO session for the hosted pages).
 */
function confirmPendingTotp<T>(
  deps: Deps,
  caller: Principal,
  input: { code: string; mfaToken?: string },
  client: ClientInfo,
  throttle: LoginThrottle,
  complete: (user: SignInUser) => T,
): ConfirmOutcome<T> {
  const subject = subjectOf(deps, caller, input.mfaToken);
  const pending = findTotp(deps, subject.userId);
  if (!pending) throw validationError('There is no enrolment to confirm: POST /auth/mfa/totp/enroll first');
  if (pending.status === 'active') throw conflict('TOTP is already enabled');
  const done = withCodeCheck<ConfirmOutcome<T>>(deps, subject, client, throttle, () => {
    if (acceptTotpCode(deps, subject.userId, input.code, 'pending') === null) return { wrong: 'totp_confirm' };
    const recoveryCodes = issueRecoveryCodes(deps, subject.userId);
    deps.audit.append(deps.platformTenantId(), {
      actor: subject.actor,
      type: 'mfa.totp_enabled',
      target: { type: 'user', id: subject.userId },
      payload: { userId: subject.userId, recoveryCodes: recoveryCodes.length, viaEnrollmentToken: Boolean(subject.challengeHash) },
    });
    if (!subject.challengeHash) return { value: { recoveryCodes } };
    // The enrolment the sign-in was waiting for: it completes now, as a verified sign-in would.
    spendChallenge(deps, subject.challengeHash, deps.clock.nowMs());
    const candidate = signInCandidate(deps, caller, subject.userId, client);
    if ('error' in candidate) return { value: { recoveryCodes, refused: candidate.error } };
    return { value: { recoveryCodes, started: complete(candidate.user) } };
  });
  if (done.refused) throw done.refused;
  return done;
}

/** POST /auth/mfa/totp/confirm {code}: activates the pending authenticator and answers the recovery codes. */
export async function confirmTotp(
  deps: Deps,
  caller: Principal,
  input: { code: string; mfaToken?: string },
  client: ClientInfo,
  throttle: LoginThrottle,
): Promise<TotpConfirmation> {
  const done = confirmPendingTotp(deps, caller, input, client, throttle, (user) => ({
    user,
    ...beginSignedInSession(deps, caller, user, client, { mfa: 'totp', enrolled: true }),
  }));
  if (done.started) {
    const { user, session, refreshToken } = done.started;
    return { status: 'enabled', recoveryCodes: done.recoveryCodes, login: await issueTokenPair(deps, user, session, refreshToken) };
  }
  return { status: 'enabled', recoveryCodes: done.recoveryCodes };
}

/**
 * The hosted pages' enrolment on first sign-in: confirmTotp for an enrolment mfaToken, where `startSession` (run in
 * the confirmation's transaction with the proven, allowed user) starts the page's own SSO session.
 */
export function confirmTotpForHostedSignIn<T>(
  deps: Deps,
  caller: Principal,
  input: { code: string; mfaToken: string },
  client: ClientInfo,
  throttle: LoginThrottle,
  startSession: (user: SignInUser) => T,
): { recoveryCodes: string[]; started: T } {
  const done = confirmPendingTotp(deps, caller, input, client, throttle, startSession);
  return { recoveryCodes: done.recoveryCodes, started: done.started as T };
}

function activeSubject(deps: Deps, caller: Principal): Subject {
  const subject = subjectOf(deps, caller, undefined);
  if (findTotp(deps, subject.userId)?.status !== 'active') throw validationError('TOTP is not enabled for this account');
  return subject;
}

/** POST /auth/mfa/recovery-codes/regenerate {code}: ten new codes (a current TOTP code proves the authenticator is at hand); the old ones stop working. */
export function regenerateRecoveryCodes(deps: Deps, caller: Principal, input: { code: string }, client: ClientInfo, throttle: LoginThrottle): { recoveryCodes: string[] } {
  const subject = activeSubject(deps, caller);
  return withCodeCheck<{ recoveryCodes: string[] }>(deps, subject, client, throttle, () => {
    if (acceptTotpCode(deps, subject.userId, input.code, 'active') === null) return { wrong: 'recovery_codes_regenerate' };
    const recoveryCodes = issueRecoveryCodes(deps, subject.userId);
    deps.audit.append(deps.platformTenantId(), {
      actor: subject.actor,
      type: 'mfa.recovery_codes_regenerated',
      target: { type: 'user', id: subject.userId },
      payload: { userId: subject.userId, recoveryCodes: recoveryCodes.length },
    });
    return { value: { recoveryCodes } };
  });
}

/** Removes the authenticator, its recovery codes and open mfaTokens. Call inside the transaction of its audit entry. */
function removeMfa(deps: Deps, userId: string): { hadTotp: boolean; recoveryCodes: number } {
  const hadTotp = deleteTotp(deps, userId) > 0;
  const recoveryCodes = deleteRecoveryCodes(deps, userId);
  spendChallengesOf(deps, userId, deps.clock.nowMs());
  return { hadTotp, recoveryCodes };
}

/**
 * POST /auth/mfa/totp/disable {code | recoveryCode | password}. Refused (403) while a tenant of the user requires
 * MFA: the user cannot drop what the tenant demands; an operator can still reset it (`kimauth users mfa reset`).
 */
export async function disableTotp(
  deps: Deps,
  caller: Principal,
  input: { code?: string; recoveryCode?: string; password?: string },
  client: ClientInfo,
  throttle: LoginThrottle,
): Promise<{ status: 'disabled' }> {
  const given = [input.code, input.recoveryCode, input.password].filter((v) => v !== undefined).length;
  if (given !== 1) throw validationError('Give exactly one of code, recoveryCode or password');
  const subject = activeSubject(deps, caller);
  const user = findUserById(deps, subject.userId);
  if (!user) throw new AppError('unauthorized', 'Sign in again');
  const requiredBy = tenantsRequiringMfaOf(deps, user);
  if (requiredBy.length) throw forbidden(`MFA is required by ${requiredBy.join(', ')}; it cannot be turned off (an operator can reset it)`);
  // A password is checked before the transaction (argon2 is slow); codes inside it, where their use is recorded.
  const passwordOk = input.password !== undefined ? Boolean(user.passwordHash) && (await verifyPassword(user.passwordHash!, input.password)) : undefined;
  withCodeCheck<undefined>(deps, subject, client, throttle, () => {
    const proven = passwordOk ?? Boolean(acceptSecondFactor(deps, subject.userId, input));
    if (!proven) return { wrong: 'totp_disable' };
    const removed = removeMfa(deps, subject.userId);
    deps.audit.append(deps.platformTenantId(), {
      actor: subject.actor,
      type: 'mfa.totp_disabled',
      target: { type: 'user', id: subject.userId },
      payload: { userId: subject.userId, provenBy: input.password !== undefined ? 'password' : input.code !== undefined ? 'totp' : 'recovery_code', ...removed },
    });
    return { value: undefined };
  });
  return { status: 'disabled' };
}

/** Resets a user's MFA (lost phone or key): authenticator, recovery codes, passkeys and open mfaTokens gone; audited. */
export function resetUserMfa(deps: Deps, caller: Principal, userId: string): { userId: string; hadTotp: boolean; recoveryCodes: number; passkeys: number } {
  return deps.sqlite.transaction(() => {
    const user = findUserById(deps, userId);
    if (!user) throw new AppError('not_found', `User "${userId}" not found`);
    authorize(deps, caller, 'mfa.reset', { user });
    // A passkey counts as a second factor: a reset that left one would leave the lost key able to sign in.
    const removed = { ...removeMfa(deps, user.id), passkeys: deletePasskeysOf(deps, user.id) };
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'mfa.reset',
      target: { type: 'user', id: user.id },
      payload: { userId: user.id, ...removed },
    });
    return { userId: user.id, ...removed };
  })();
}

/**
 * The pending authenticator of an enrolment mfaToken, shown again (e.g. after a wrong code on the hosted page)
 * without replacing the secret the user may already have scanned. Undefined when the step is over or nothing is pending.
 */
export async function pendingTotpEnrollment(deps: Deps, mfaToken: string): Promise<TotpEnrollment | undefined> {
  const challenge = usableChallenge(deps, mfaToken, 'enroll');
  const row = challenge && findTotp(deps, challenge.user_id);
  const user = challenge && findUserById(deps, challenge.user_id);
  if (!row || row.status !== 'pending' || !user) return undefined;
  const secret = openTotpSecret(deps, user.id, row.secret_sealed);
  const otpauthUrl = totpUri(secret, deps.config.emailAppName, user.email);
  return { secret, otpauthUrl, qrCode: await totpQrSvgDataUrl(otpauthUrl), period: 30, digits: 6, algorithm: 'SHA1' };
}
