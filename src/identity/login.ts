import { createHash } from 'node:crypto';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { Deps } from '../app/deps.ts';
import { AppError, validationError } from '../app/errors.ts';
import { startSession } from '../sessions/sessions.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { accountStatusError } from './account-status.ts';
import { findSignInUserByEmail } from './login-users.ts';
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

const INVALID_CREDENTIALS = 'Invalid email or password';

/** Audit payloads name an unknown account by a hash of its email, never by the address or the password. */
export function emailFingerprint(normalizedEmail: string): string {
  return createHash('sha256').update(normalizedEmail).digest('hex');
}


/**
 * Email/password sign-in. The password is verified before any account status is revealed, and an unknown
 * email is verified against a dummy hash so it costs the same time as a wrong password.
 */
export async function login(deps: Deps, caller: Principal, input: LoginInput, client: ClientInfo, throttle: LoginThrottle): Promise<TokenPair> {
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
    deps.sqlite.transaction(() => {
      deps.audit.append(deps.platformTenantId(), {
        actor: caller,
        type: 'user.sign_in_failed',
        target: user ? { type: 'user', id: user.id } : null,
        payload: {
          ...(user ? { userId: user.id } : { emailHash: emailFingerprint(email) }),
          reason: !user ? 'unknown_email' : !user.passwordHash ? 'no_password' : 'wrong_password',
          ip: client.ip,
        },
      });
    })();
    throw new AppError('unauthorized', INVALID_CREDENTIALS);
  }
  throttle.recordSuccess(email, client.ip);

  // The row is read again inside the transaction: an admin may have changed it while argon2 was running.
  const outcome = deps.sqlite.transaction(() => {
    const current = findSignInUserByEmail(deps, email);
    if (!current || current.id !== user.id || current.passwordHash !== user.passwordHash) {
      return { error: new AppError('unauthorized', INVALID_CREDENTIALS) };
    }
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
    const { session, refreshToken } = startSession(deps, current.id, { ip: client.ip, userAgent: client.userAgent, authType: 'internal' });
    deps.audit.append(deps.platformTenantId(), {
      actor: provenUser(caller, current.id),
      type: 'user.signed_in',
      target: { type: 'user', id: current.id },
      payload: { sessionId: session.id, authType: session.authType, ip: client.ip },
    });
    return { user: current, session, refreshToken };
  })();
  if ('error' in outcome) throw outcome.error;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}
