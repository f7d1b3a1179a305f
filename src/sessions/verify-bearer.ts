import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import { accountStatusError } from '../identity/account-status.ts';
import { findUserStandingById } from '../identity/login-users.ts';
import type { GlobalRole } from '../identity/tables.ts';
import { createAccessTokenVerifier, type AccessClaims } from '../tokens/access-tokens.ts';
import { sessionEnded } from './liveness.ts';
import { selectSessionLiveness } from './store.ts';

/** A platform user calling with an access token whose session, account and tokenVersion were checked. */
export interface BearerPrincipal {
  userId: string;
  sessionId: string;
  globalRole: GlobalRole;
  tokenVersion: number;
  claims: AccessClaims;
}

/**
 * The one Bearer rule for platform access tokens (seed 002 §4), in order: the token itself (signature, alg, iss,
 * aud, exp) → its session live (else 401 session_revoked) → the account usable (else the login codes) → the
 * tokenVersion current (else 401, so the client refreshes and gets a token with the new globalRole/tokenVersion).
 */
export function createBearerVerifier(deps: Deps): (token: string) => Promise<BearerPrincipal> {
  const verify = createAccessTokenVerifier(deps);
  return async function verifyBearer(token) {
    const claims = await verify(token);
    // The session and the account in one read snapshot (one WAL read lock for both).
    const user = deps.readSnapshot(() => {
      const session = selectSessionLiveness(deps, claims.sessionId, claims.sub);
      if (!session || sessionEnded(session, deps.clock.nowMs())) throw new AppError('session_revoked', 'Session has been revoked');
      return findUserStandingById(deps, claims.sub);
    });
    if (!user) throw new AppError('session_revoked', 'Session has been revoked');
    const blocked = accountStatusError(user);
    if (blocked) throw blocked;
    if (user.tokenVersion !== claims.tokenVersion) {
      throw new AppError('unauthorized', 'Access token is stale (tokenVersion changed); refresh it');
    }
    return { userId: claims.sub, sessionId: claims.sessionId, globalRole: user.globalRole, tokenVersion: user.tokenVersion, claims };
  };
}
