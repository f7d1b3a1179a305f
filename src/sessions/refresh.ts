import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { AppError } from '../app/errors.ts';
import { accountStatusError } from '../identity/account-status.ts';
import { SIGN_IN_USER_COLUMNS, toSignInUser, type SignInUserRecord } from '../identity/login-users.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { revokeSession, rotateRefreshToken } from './sessions.ts';

interface RefreshRecord extends SignInUserRecord {
  rotated_at: number | null;
  session_id: string;
  auth_type: string;
  revoked_at: number | null;
  expires_at: number;
}

const LOOKUP = `SELECT rt.rotated_at, s.id AS session_id, s.auth_type, s.revoked_at, s.expires_at, ${SIGN_IN_USER_COLUMNS}
  FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
 WHERE rt.token_hash = ?`;

/**
 * Exchanges a refresh token for a new pair (seed 002 §4.3). The presented token is spent on every use; presenting a
 * spent one again means it was copied, so the whole session is revoked (and that revocation is committed before the
 * caller hears 401 session_revoked). The new access token carries the user's current globalRole and tokenVersion.
 */
export async function refreshSession(deps: Deps, caller: Principal, refreshToken: string): Promise<TokenPair> {
  const tokenHash = hashOpaqueToken(refreshToken);
  // (IMMEDIATE, as every transaction here: two processes refreshing one token queue on the write lock instead of both rotating it.)
  const outcome = deps.sqlite.transaction(() => {
    const row = deps.statement(LOOKUP).get(tokenHash) as RefreshRecord | undefined;
    if (!row) return { error: new AppError('unauthorized', 'Invalid refresh token') };
    if (row.revoked_at !== null) return { error: new AppError('session_revoked', 'Session has been revoked') };
    if (row.rotated_at !== null) {
      revokeSession(deps, row.session_id, 'refresh_token_reuse', caller);
      return { error: new AppError('session_revoked', 'Refresh token was already used; the session has been revoked') };
    }
    if (row.expires_at <= deps.clock.nowMs()) {
      return { error: new AppError('unauthorized', 'Session has expired; sign in again') };
    }
    const user = toSignInUser(row);
    const blocked = accountStatusError(user);
    if (blocked) return { error: blocked };
    const next = rotateRefreshToken(deps, tokenHash, row.session_id);
    return { user, session: { id: row.session_id, authType: row.auth_type }, refreshToken: next };
  })();
  if ('error' in outcome) throw outcome.error;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}
