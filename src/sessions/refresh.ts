import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { AppError } from '../app/errors.ts';
import { accountStatusError } from '../identity/account-status.ts';
import { SIGN_IN_USER_COLUMNS, toSignInUser, type SignInUserRecord } from '../identity/login-users.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { issueTokenPair, type TokenPair } from '../tokens/access-tokens.ts';
import { revokeSession, rotateRefreshToken } from './sessions.ts';

interface RefreshRecord extends SignInUserRecord {
  rotated_at: number | null;
  successor_sealed: string | null;
  session_id: string;
  auth_type: string;
  revoked_at: number | null;
  expires_at: number;
}

const LOOKUP = `SELECT rt.rotated_at, rt.successor_sealed, s.id AS session_id, s.auth_type, s.revoked_at, s.expires_at, ${SIGN_IN_USER_COLUMNS}
  FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
 WHERE rt.token_hash = ?`;

/**
 * Exchanges a refresh token for a new pair (seed 002 §4.3). The presented token is spent on every use; presenting a
 * spent one again means it was copied, so the whole session is revoked (and that revocation is committed before the
 * caller hears 401 session_revoked). The new access token carries the user's current globalRole and tokenVersion.
 *
 * With KIMAUTH_REFRESH_REUSE_GRACE > 0, a client whose refresh response was lost (a crash, a dropped connection)
 * may present the just-rotated token again within the grace: as long as its successor has not been used, it gets
 * that same successor refresh token again (with an access token for the same session) instead of a revocation.
 */
export async function refreshSession(deps: Deps, caller: Principal, refreshToken: string): Promise<TokenPair> {
  const tokenHash = hashOpaqueToken(refreshToken);
  const graceMs = deps.config.refreshReuseGrace * 1000;
  // (IMMEDIATE, as every transaction here: two processes refreshing one token queue on the write lock instead of both rotating it.)
  const outcome = deps.sqlite.transaction(() => {
    const row = deps.statement(LOOKUP).get(tokenHash) as RefreshRecord | undefined;
    if (!row) return { error: new AppError('unauthorized', 'Invalid refresh token') };
    if (row.revoked_at !== null) return { error: new AppError('session_revoked', 'Session has been revoked') };
    let replayed: string | undefined;
    if (row.rotated_at !== null) {
      replayed = graceMs > 0 ? unusedSuccessorWithinGrace(deps, row, tokenHash, graceMs) : undefined;
      if (!replayed) {
        revokeSession(deps, row.session_id, 'refresh_token_reuse', caller);
        return { error: new AppError('session_revoked', 'Refresh token was already used; the session has been revoked') };
      }
    }
    if (row.expires_at <= deps.clock.nowMs()) {
      return { error: new AppError('unauthorized', 'Session has expired; sign in again') };
    }
    const user = toSignInUser(row);
    const blocked = accountStatusError(user);
    if (blocked) return { error: blocked };
    const session = { id: row.session_id, authType: row.auth_type };
    if (replayed) return { user, session, refreshToken: replayed };
    const next = rotateRefreshToken(deps, tokenHash, row.session_id);
    if (graceMs > 0) keepSuccessorForGrace(deps, row.session_id, tokenHash, next);
    return { user, session, refreshToken: next };
  })();
  if ('error' in outcome) throw outcome.error;
  return issueTokenPair(deps, outcome.user, outcome.session, outcome.refreshToken);
}

/** The sealed successor is bound to the token it replaced (AES-GCM associated data), so it cannot be moved to another row. */
const sealContext = (rotatedHash: string) => `refresh-successor:${rotatedHash}`;

function keepSuccessorForGrace(deps: Deps, sessionId: string, rotatedHash: string, successor: string): void {
  // The token presented now was the successor of an earlier one: it is used, so that earlier copy goes.
  deps.statement('UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = ? AND successor_sealed IS NOT NULL').run(sessionId);
  const sealed = sealToText(deps.masterKeys, successor, sealContext(rotatedHash));
  deps.statement('UPDATE refresh_tokens SET successor_sealed = ? WHERE token_hash = ?').run(sealed, rotatedHash);
}

function unusedSuccessorWithinGrace(deps: Deps, row: RefreshRecord, rotatedHash: string, graceMs: number): string | undefined {
  if (row.successor_sealed === null || row.rotated_at === null) return undefined;
  if (deps.clock.nowMs() - row.rotated_at > graceMs) return undefined;
  const successor = openSealedText(deps.masterKeys, row.successor_sealed, sealContext(rotatedHash));
  const state = deps.statement('SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?').get(hashOpaqueToken(successor)) as
    | { rotated_at: number | null }
    | undefined;
  return state && state.rotated_at === null ? successor : undefined;
}

/**
 * Empties sealed successors whose grace is over (the `sessions-grace-wipe` job, every 5 s): with secure_delete the
 * freed bytes are overwritten too. Also clears what a larger grace left behind after the setting was lowered.
 */
export function wipeExpiredSuccessors(deps: Deps): number {
  const cutoff = deps.clock.nowMs() - deps.config.refreshReuseGrace * 1000;
  return deps.sqlite.transaction(
    () => deps.statement('UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND rotated_at <= ?').run(cutoff).changes,
  )();
}
