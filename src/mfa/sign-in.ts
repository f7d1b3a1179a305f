import type { Deps } from '../app/deps.ts';
import { AppError, validationError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { beginSignedInSession, signInCandidate, verifyPasswordCredentials, type ClientInfo, type LoginInput } from '../identity/login.ts';
import type { SignInUser } from '../identity/login-users.ts';
import type { LoginThrottle } from '../identity/login-throttle.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { acceptSecondFactor, type SecondFactorMethod } from './second-factor.ts';
import { findChallenge, hasActiveTotp, insertChallenge, recordChallengeFailure, spendChallenge, type ChallengePurpose, type ChallengeRow } from './store.ts';
import { tenantsRequiringMfaOf } from './tenant-requirement.ts';

/**
 * The sign-in pipeline after a first factor (password, magic link; the hosted pages' passkeys and upstream IdPs
 * later): either a session starts now, or the answer is a second step — `{ mfaRequired: true, mfaToken, methods }`.
 *
 *   completeSignIn(deps, caller, userId, client, 'magic_link')      → TokenPair | MfaRequired   (seed 002 API)
 *   secondFactorDue(deps, caller, user, client, 'password')        → MfaRequired | null        (inside a transaction;
 *                                                                     hosted pages that start their own sessions)
 *   verifyMfaSignIn(deps, caller, { mfaToken, code }, client, t)   → TokenPair
 *   proveSecondFactor(...)                                          → the proven user (hosted pages)
 *
 * The mfaToken is 256 random bits, only its SHA-256 stored, 5 minutes, single use, bound to the user and to the
 * first factor that earned it; five wrong codes spend it (the first factor must be proven again).
 */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;
/** Long enough to install an authenticator app and scan the code. */
export const ENROLLMENT_TOKEN_TTL_MS = 15 * 60_000;
export const MAX_CODE_FAILURES_PER_TOKEN = 5;

export type FirstFactor = 'password' | 'magic_link';

export interface MfaRequired {
  mfaRequired: true;
  /** A tenant of the user requires MFA and the user has none: the token allows only TOTP enrolment and its confirmation. */
  mfaEnrollmentRequired?: true;
  mfaToken: string;
  /** What `POST /auth/mfa/verify` accepts (`totp`, `recovery_code`), or for enrolment what can be enrolled (`totp`). */
  methods: string[];
  /** Seconds the mfaToken is valid. */
  expiresIn: number;
  /** With mfaEnrollmentRequired: the slugs of the tenants that require MFA. */
  requiredBy?: string[];
}

export type LoginResult = TokenPair | MfaRequired;

export function isMfaRequired(result: LoginResult): result is MfaRequired {
  return 'mfaRequired' in result;
}

function issueChallenge(deps: Deps, caller: Principal, user: SignInUser, client: ClientInfo, firstFactor: FirstFactor, purpose: ChallengePurpose) {
  const token = newOpaqueToken();
  const now = deps.clock.nowMs();
  const ttl = purpose === 'verify' ? MFA_TOKEN_TTL_MS : ENROLLMENT_TOKEN_TTL_MS;
  insertChallenge(deps, { token_hash: hashOpaqueToken(token), user_id: user.id, purpose, first_factor: firstFactor, created_at: now, expires_at: now + ttl });
  deps.audit.append(deps.platformTenantId(), {
    actor: provenUser(caller, user.id),
    type: 'user.mfa_challenged',
    target: { type: 'user', id: user.id },
    payload: { userId: user.id, purpose, firstFactor, ip: client.ip },
  });
  return { token, expiresIn: ttl / 1000 };
}

/**
 * Inside the sign-in transaction, after the first factor and the account checks: the second step this user
 * owes, or null when a session may start. Users without MFA whose tenants do not require it owe nothing.
 */
export function secondFactorDue(deps: Deps, caller: Principal, user: SignInUser, client: ClientInfo, firstFactor: FirstFactor): MfaRequired | null {
  if (hasActiveTotp(deps, user.id)) {
    const { token, expiresIn } = issueChallenge(deps, caller, user, client, firstFactor, 'verify');
    return { mfaRequired: true, mfaToken: token, methods: ['totp', 'recovery_code'], expiresIn };
  }
  const requiredBy = tenantsRequiringMfaOf(deps, user);
  if (requiredBy.length === 0) return null;
  const { token, expiresIn } = issueChallenge(deps, caller, user, client, firstFactor, 'enroll');
  return { mfaRequired: true, mfaEnrollmentRequired: true, mfaToken: token, methods: ['totp'], expiresIn, requiredBy };
}

/**
 * THE completion of a sign-in whose first factor is proven (password, magic link): re-reads the user, refuses a
 * blocked account, and either answers the MFA step or starts the session and issues the token pair (the same
 * session and audit entry as a password sign-in). `isUnchanged` says whether the proof still holds for the row
 * read in the transaction (e.g. the same password hash).
 */
export async function completeSignIn(
  deps: Deps,
  caller: Principal,
  userId: string,
  client: ClientInfo,
  firstFactor: FirstFactor,
  isUnchanged?: (current: SignInUser) => boolean,
): Promise<LoginResult> {
  const outcome = deps.sqlite.transaction(() => {
    const candidate = signInCandidate(deps, caller, userId, client, isUnchanged);
    if ('error' in candidate) return candidate;
    const due = secondFactorDue(deps, caller, candidate.user, client, firstFactor);
    if (due) return { due } as const;
    // A password sign-in without MFA audits exactly what it always has.
    const details = firstFactor === 'password' ? {} : { method: firstFactor };
    return { user: candidate.user, ...beginSignedInSession(deps, caller, candidate.user, client, details) };
  })();
  if ('error' in outcome) throw outcome.error;
  if ('due' in outcome) return outcome.due as MfaRequired;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}

/** POST /auth/login: the password, then completeSignIn. Users without MFA get the token pair as before. */
export async function signInWithPassword(deps: Deps, caller: Principal, input: LoginInput, client: ClientInfo, throttle: LoginThrottle): Promise<LoginResult> {
  const user = await verifyPasswordCredentials(deps, caller, input, client, throttle);
  return completeSignIn(deps, caller, user.id, client, 'password', (current) => current.passwordHash === user.passwordHash);
}

const INVALID_TOKEN = 'This sign-in step has expired or was already completed; sign in again';
const INVALID_CODE = 'Invalid code';

/** The usable challenge of an mfaToken with the given purpose, or undefined. */
export function usableChallenge(deps: Deps, mfaToken: string, purpose: ChallengePurpose): ChallengeRow | undefined {
  const row = findChallenge(deps, hashOpaqueToken(mfaToken));
  if (!row || row.used_at !== null || row.expires_at <= deps.clock.nowMs() || row.purpose !== purpose) return undefined;
  return row;
}

/** The key of the MFA failure throttle: per user (not per email), per client IP. */
export const mfaThrottleKey = (userId: string) => `mfa:${userId}`;

export function assertNotThrottled(throttle: LoginThrottle, userId: string, ip: string): void {
  const waitMs = throttle.retryAfterMs(mfaThrottleKey(userId), ip);
  if (waitMs > 0) {
    throw new AppError('rate_limited', 'Too many wrong codes for this account from this address; try again later', {
      retryAfterSeconds: Math.ceil(waitMs / 1000),
    });
  }
}

export interface MfaVerifyInput {
  mfaToken: string;
  code?: string;
  recoveryCode?: string;
}

export interface ProvenSignIn {
  user: SignInUser;
  firstFactor: string;
  method: SecondFactorMethod;
}

/**
 * Checks the second factor of an mfaToken inside the caller's transaction and spends the token; a wrong code is
 * counted (and audited) and answered with `error`, and the caller commits that. `then` runs in the same
 * transaction once the user is proven and allowed (the session start).
 */
function proveInTransaction<T>(
  deps: Deps,
  caller: Principal,
  input: MfaVerifyInput,
  client: ClientInfo,
  throttle: LoginThrottle,
  then: (proven: ProvenSignIn) => T,
): { value: T; userId: string } | { error: AppError; wrongCodeOf?: string } {
  const challenge = usableChallenge(deps, input.mfaToken, 'verify');
  if (!challenge) return { error: new AppError('unauthorized', INVALID_TOKEN) };
  // Before any code is looked at (a throw here rolls back nothing: nothing was written yet).
  assertNotThrottled(throttle, challenge.user_id, client.ip);
  const accepted = acceptSecondFactor(deps, challenge.user_id, input);
  const actor = provenUser(caller, challenge.user_id);
  if (!accepted) {
    const failures = recordChallengeFailure(deps, challenge.token_hash);
    if (failures >= MAX_CODE_FAILURES_PER_TOKEN) spendChallenge(deps, challenge.token_hash, deps.clock.nowMs());
    deps.audit.append(deps.platformTenantId(), {
      actor,
      type: 'user.mfa_failed',
      target: { type: 'user', id: challenge.user_id },
      payload: { userId: challenge.user_id, method: input.code !== undefined ? 'totp' : 'recovery_code', failures, ip: client.ip },
    });
    return { error: new AppError('unauthorized', INVALID_CODE), wrongCodeOf: challenge.user_id };
  }
  if (!spendChallenge(deps, challenge.token_hash, deps.clock.nowMs())) return { error: new AppError('unauthorized', INVALID_TOKEN) };
  if (accepted.method === 'recovery_code') {
    deps.audit.append(deps.platformTenantId(), {
      actor,
      type: 'mfa.recovery_code_used',
      target: { type: 'user', id: challenge.user_id },
      payload: { userId: challenge.user_id, remaining: accepted.recoveryCodesLeft, ip: client.ip },
    });
  }
  const candidate = signInCandidate(deps, caller, challenge.user_id, client);
  if ('error' in candidate) return candidate;
  return { value: then({ user: candidate.user, firstFactor: challenge.first_factor, method: accepted.method }), userId: challenge.user_id };
}

function assertOneProof(input: MfaVerifyInput): void {
  if ((input.code === undefined) === (input.recoveryCode === undefined)) throw validationError('Give either code or recoveryCode');
}

/** One transaction: the token, the throttle, the code, the spend, the caller's session start. */
function runProof<T>(deps: Deps, caller: Principal, input: MfaVerifyInput, client: ClientInfo, throttle: LoginThrottle, then: (p: ProvenSignIn) => T): T {
  assertOneProof(input);
  const outcome = deps.sqlite.transaction(() => proveInTransaction(deps, caller, input, client, throttle, then))();
  if ('error' in outcome) {
    if (outcome.wrongCodeOf) throttle.recordFailure(mfaThrottleKey(outcome.wrongCodeOf), client.ip);
    throw outcome.error;
  }
  throttle.recordSuccess(mfaThrottleKey(outcome.userId), client.ip);
  return outcome.value;
}

/** POST /auth/mfa/verify: the second factor of an mfaToken; answers the normal login response. */
export async function verifyMfaSignIn(deps: Deps, caller: Principal, input: MfaVerifyInput, client: ClientInfo, throttle: LoginThrottle): Promise<TokenPair> {
  const started = runProof(deps, caller, input, client, throttle, (proven) => ({
    user: proven.user,
    ...beginSignedInSession(deps, caller, proven.user, client, { method: proven.firstFactor, mfa: proven.method }),
  }));
  return issueTokenPair(deps, started.user, started.session, started.refreshToken);
}

/**
 * The same proof for the hosted pages, which start their own (OIDC) sessions: the token is spent and the proven,
 * allowed user returned; `then` runs inside the transaction for the caller's own session start.
 */
export function proveSecondFactor<T>(
  deps: Deps,
  caller: Principal,
  input: MfaVerifyInput,
  client: ClientInfo,
  throttle: LoginThrottle,
  then: (proven: ProvenSignIn) => T,
): T {
  return runProof(deps, caller, input, client, throttle, then);
}
