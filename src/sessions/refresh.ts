import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { AppError } from '../app/errors.ts';
import { accountStatusError } from '../identity/account-status.ts';
import { findSignInUserById } from '../identity/login-users.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { spendRefreshToken } from './refresh-reuse.ts';
import { selectPlatformRefreshRecord } from './store.ts';

export { wipeExpiredSuccessors } from './refresh-reuse.ts';

/**
 * Exchanges a refresh token for a new pair (seed 002 §4.3), under the one rule of spendRefreshToken: spent on every
 * use, a spent one presented again revokes the whole session (committed before the caller hears 401
 * session_revoked), except within KIMAUTH_REFRESH_REUSE_GRACE while its successor is unused. The new access token
 * carries the user's current globalRole and tokenVersion.
 */
export async function refreshSession(deps: Deps, caller: Principal, refreshToken: string): Promise<TokenPair> {
  const tokenHash = hashOpaqueToken(refreshToken);
  // (IMMEDIATE, as every transaction here: two processes refreshing one token queue on the write lock instead of both rotating it.)
  const outcome = deps.sqlite.transaction(() => {
    const row = selectPlatformRefreshRecord(deps, tokenHash);
    const user = row && findSignInUserById(deps, row.user_id);
    if (!row || !user) return { error: new AppError('unauthorized', 'Invalid refresh token') };
    if (row.revoked_at !== null) return { error: new AppError('session_revoked', 'Session has been revoked') };
    const spend = spendRefreshToken(
      deps,
      { tokenHash, sessionId: row.session_id, rotatedAt: row.rotated_at, successorSealed: row.successor_sealed },
      caller,
      () => (row.expires_at <= deps.clock.nowMs() ? new AppError('unauthorized', 'Session has expired; sign in again') : accountStatusError(user)),
    );
    if (spend.outcome === 'reused') return { error: new AppError('session_revoked', 'Refresh token was already used; the session has been revoked') };
    if (spend.outcome === 'refused') return { error: spend.reason };
    return { user, session: { id: row.session_id, authType: row.auth_type }, refreshToken: spend.refreshToken };
  })();
  if ('error' in outcome) throw outcome.error;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}
