import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import { accountStatusError } from './account-status.ts';
import { emailFingerprint, type ClientInfo } from './login.ts';
import { findSignInUserByEmail, type SignInUser } from './login-users.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { dummyPasswordHash, verifyPassword } from './passwords.ts';
import { normalizeEmail } from './users.ts';

export const INVALID_CREDENTIALS = 'Invalid email or password';

export interface PasswordSignInContext {
  /** The chain the outcome is audited in (a tenant's hosted sign-in audits in that tenant's chain). */
  auditTenantId: string;
  /** Extra audit payload (e.g. the OAuth client_id). */
  auditPayload?: Record<string, unknown>;
}

/**
 * The first factor of a sign-in, as /auth/login does it: throttle per (account, IP), argon2id against the stored
 * hash (or a dummy one for an unknown email, so timing reveals nothing), failures audited by email hash, and the
 * account status told only after the password was right. Returns the user; the caller starts the session (and a
 * second factor, once there is one, plugs in between).
 */
export async function checkPasswordSignIn(
  deps: Deps,
  caller: Principal,
  input: { email: string; password: string },
  client: ClientInfo,
  throttle: LoginThrottle,
  context: PasswordSignInContext,
): Promise<SignInUser> {
  const email = normalizeEmail(input.email);
  const waitMs = throttle.retryAfterMs(email, client.ip);
  if (waitMs > 0) {
    throw new AppError('rate_limited', 'Too many failed sign-in attempts for this account from this address; try again later', {
      retryAfterSeconds: Math.ceil(waitMs / 1000),
    });
  }
  const user = findSignInUserByEmail(deps, email);
  const verified = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  const fail = (reason: string, who: SignInUser | undefined) =>
    deps.sqlite.transaction(() => {
      deps.audit.append(context.auditTenantId, {
        actor: caller,
        type: 'user.sign_in_failed',
        target: who ? { type: 'user', id: who.id } : null,
        payload: { ...(who ? { userId: who.id } : { emailHash: emailFingerprint(email) }), reason, ip: client.ip, ...context.auditPayload },
      });
    })();
  if (!user || !user.passwordHash || !verified) {
    throttle.recordFailure(email, client.ip);
    fail(!user ? 'unknown_email' : !user.passwordHash ? 'no_password' : 'wrong_password', user);
    throw new AppError('unauthorized', INVALID_CREDENTIALS);
  }
  throttle.recordSuccess(email, client.ip);
  const current = findSignInUserByEmail(deps, email);
  if (!current || current.id !== user.id || current.passwordHash !== user.passwordHash) throw new AppError('unauthorized', INVALID_CREDENTIALS);
  const blocked = accountStatusError(current);
  if (blocked) {
    fail(blocked.code, current);
    throw blocked;
  }
  return current;
}
