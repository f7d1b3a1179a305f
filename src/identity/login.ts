import { createHash } from 'node:crypto';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { Deps } from '../app/deps.ts';
import { AppError, validationError } from '../app/errors.ts';
import { startSession } from '../sessions/sessions.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { accountStatusError } from './account-status.ts';
import { findSignInUserByEmail, findSignInUserById, type SignInUser } from './login-users.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { normalizeEmail } from './users.ts';

/** accountType values that select email/password against kimauth's own users (seed 002 §4.2). */
export const PASSWORD_ACCOUNT_TYPES = ['', 'internal', 'auto'] as const;

/** "" / internal / auto → password pipeline; vendor → 501; anything else → 400. Missing means "". */
export function assertPasswordAccountType(accountType: string | undefined): void {
  const value = accountType ?? '';
  if ((PASSWORD_ACCOUNT_TYPES as readonly string[]).includes(value)) return;
  if (value === 'vendor') throw new AppError('not_implemented', 'accountType "vendor" is not implemented by this service');
  throw validationError('accountType must be one of "", "internal", "auto", "vendor"');
}

export interface ClientInfo {
  ip: string;
  userAgent?: string | null;
}

export interface LoginInput {
  email: string;
  password: string;
  accountType?: string;
}

export const INVALID_CREDENTIALS = 'Invalid email or password';

/** Audit payloads name an unknown account by a hash of its email, never by the address or the password. */
export function emailFingerprint(normalizedEmail: string): string {
  return createHash('sha256').update(normalizedEmail).digest('hex');
}


/**
 * Email/password sign-in. The password is verified before any account status is revealed, and an unknown
 * email is verified against a dummy hash so it costs the same time as a wrong password.
 *
 * Password only: it does not ask for a second factor. Sign-ins that users make go through
 * `signInWithPassword` / `completeSignIn` (src/mfa/sign-in.ts), which answer the MFA step for users with MFA.
 */
export async function login(deps: Deps, caller: Principal, input: LoginInput, client: ClientInfo, throttle: LoginThrottle): Promise<TokenPair> {
  const user = await verifyPasswordCredentials(deps, caller, input, client, throttle);
  const outcome = deps.sqlite.transaction(() => {
    const candidate = signInCandidate(deps, caller, user.id, client, (current) => current.passwordHash === user.passwordHash);
    if ('error' in candidate) return candidate;
    return { user: candidate.user, ...beginSignedInSession(deps, caller, candidate.user, client) };
  })();
  if ('error' in outcome) throw outcome.error;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}

/**
 * The first half of `login`: the throttle, the password (argon2id, a dummy hash for an unknown email) and the
 * audited failure. Returns the user whose password it is; the caller then decides (in one transaction, with
 * signInCandidate) whether a session starts now or a second factor is asked for (src/mfa).
 */
export async function verifyPasswordCredentials(
  deps: Deps,
  caller: Principal,
  input: LoginInput,
  client: ClientInfo,
  throttle: LoginThrottle,
  context: PasswordSignInContext = {},
): Promise<SignInUser> {
  assertPasswordAccountType(input.accountType);
  const email = normalizeEmail(input.email);
  const waitMs = throttle.retryAfterMs(email, client.ip);
  if (waitMs > 0) {
    throw new AppError('rate_limited', 'Too many failed sign-in attempts for this account from this address; try again later', {
      retryAfterSeconds: Math.ceil(waitMs / 1000),
    });
  }

  const user = findSignInUserByEmail(deps, email);
  const verified = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  if (!user || !user.passwordHash || !verified) {
    throttle.recordFailure(email, client.ip);
    auditSignInFailure(deps, caller, email, user, !user ? 'unknown_email' : !user.passwordHash ? 'no_password' : 'wrong_password', client, context);
    throw new AppError('unauthorized', INVALID_CREDENTIALS);
  }
  throttle.recordSuccess(email, client.ip);
  return user;
}

/** Where a sign-in's outcome is audited: the platform chain, or a tenant's for its hosted sign-in. */
export interface PasswordSignInContext {
  /** The chain the outcome is audited in (default: the platform's). */
  auditTenantId?: string;
  /** Extra audit payload (e.g. the OAuth client_id). */
  auditPayload?: Record<string, unknown>;
}

/** `user.sign_in_failed`, naming an unknown account by the hash of its email only. In its own transaction. */
export function auditSignInFailure(
  deps: Deps,
  caller: Principal,
  email: string,
  user: SignInUser | undefined,
  reason: string,
  client: ClientInfo,
  context: PasswordSignInContext,
): void {
  deps.sqlite.transaction(() => {
    deps.audit.append(context.auditTenantId ?? deps.platformTenantId(), {
      actor: caller,
      type: 'user.sign_in_failed',
      target: user ? { type: 'user', id: user.id } : null,
      payload: { ...(user ? { userId: user.id } : { emailHash: emailFingerprint(email) }), reason, ip: client.ip, ...context.auditPayload },
    });
  })();
}

/**
 * Inside the sign-in transaction: the current row of a user whose first factor was just proven, or the error to
 * answer. The row is read again because an admin may have changed it meanwhile (`isUnchanged` says whether the
 * proof still holds, e.g. the same password hash); a blocked account is refused and audited.
 */
export function signInCandidate(
  deps: Deps,
  caller: Principal,
  userId: string,
  client: ClientInfo,
  isUnchanged: (current: SignInUser) => boolean = () => true,
): { user: SignInUser } | { error: AppError } {
  const current = findSignInUserById(deps, userId);
  if (!current || !isUnchanged(current)) return { error: new AppError('unauthorized', INVALID_CREDENTIALS) };
  const blocked = accountStatusError(current);
  if (blocked) {
    deps.audit.append(deps.platformTenantId(), {
      actor: provenUser(caller, current.id),
      type: 'user.sign_in_failed',
      target: { type: 'user', id: current.id },
      payload: { userId: current.id, reason: blocked.code, ip: client.ip },
    });
    return { error: blocked };
  }
  return { user: current };
}

/**
 * Inside the sign-in transaction, once every factor is proven: starts the session and audits `user.signed_in`
 * (`details` adds how, e.g. `{ method: 'magic_link', mfa: 'totp' }`). The caller issues the token pair after commit.
 */
export function beginSignedInSession(deps: Deps, caller: Principal, user: SignInUser, client: ClientInfo, details: Record<string, unknown> = {}) {
  const { session, refreshToken } = startSession(deps, user.id, { ip: client.ip, userAgent: client.userAgent, authType: 'internal' });
  deps.audit.append(deps.platformTenantId(), {
    actor: provenUser(caller, user.id),
    type: 'user.signed_in',
    target: { type: 'user', id: user.id },
    payload: { sessionId: session.id, authType: session.authType, ip: client.ip, ...details },
  });
  return { session, refreshToken };
}
