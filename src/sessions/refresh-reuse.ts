import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { revokeSession, rotateRefreshToken } from './sessions.ts';
import { clearSealedSuccessorsRotatedBefore, keepSealedSuccessor, selectRotatedAt } from './store.ts';

/** A refresh token as read by its caller's lookup (platform `/auth/refresh` or a tenant's OIDC refresh grant). */
export interface PresentedRefreshToken {
  tokenHash: string;
  sessionId: string;
  rotatedAt: number | null;
  successorSealed: string | null;
}

export type RefreshSpend<E> =
  | { outcome: 'rotated'; refreshToken: string }
  /** Within KIMAUTH_REFRESH_REUSE_GRACE: the same, still unused successor once more. */
  | { outcome: 'replayed'; refreshToken: string }
  /** A spent token presented again: its session is now revoked (and audited). */
  | { outcome: 'reused' }
  /** `mayContinue` said no: nothing was spent. */
  | { outcome: 'refused'; reason: E };

/**
 * The one refresh-token rule of every session, platform or tenant (seed 002 §4.3, issue 11 §4): a token is spent
 * on every use; presenting a spent one again means it was copied, so the whole session is revoked — unless, with
 * KIMAUTH_REFRESH_REUSE_GRACE > 0, it was rotated within the grace and its successor is still unused: then the
 * client only lost the response and gets that same successor again.
 *
 * `mayContinue` runs after the reuse decision and before anything is handed out (session expiry, account state,
 * tenant access): a reused token revokes whatever else is true. Call inside the caller's transaction.
 */
export function spendRefreshToken<E>(
  deps: Deps,
  token: PresentedRefreshToken,
  actor: Actor,
  mayContinue: () => E | null | undefined,
): RefreshSpend<E> {
  if (!deps.sqlite.inTransaction) throw new Error('spendRefreshToken must run inside the transaction of its change');
  const graceMs = deps.config.refreshReuseGrace * 1000;
  let replayed: string | undefined;
  if (token.rotatedAt !== null) {
    replayed = graceMs > 0 ? unusedSuccessorWithinGrace(deps, token, graceMs) : undefined;
    if (!replayed) {
      revokeSession(deps, token.sessionId, 'refresh_token_reuse', actor);
      return { outcome: 'reused' };
    }
  }
  const refused = mayContinue();
  if (refused !== undefined && refused !== null) return { outcome: 'refused', reason: refused };
  if (replayed) return { outcome: 'replayed', refreshToken: replayed };
  const next = rotateRefreshToken(deps, token.tokenHash, token.sessionId);
  if (graceMs > 0) keepSuccessorForGrace(deps, token.sessionId, token.tokenHash, next);
  return { outcome: 'rotated', refreshToken: next };
}

/** The sealed successor is bound to the token it replaced (AES-GCM associated data), so it cannot be moved to another row. */
const sealContext = (rotatedHash: string) => `refresh-successor:${rotatedHash}`;

function keepSuccessorForGrace(deps: Deps, sessionId: string, rotatedHash: string, successor: string): void {
  // The token presented now was the successor of an earlier one: it is used, so that earlier copy goes (in the store).
  keepSealedSuccessor(deps, sessionId, rotatedHash, sealToText(deps.masterKeys, successor, sealContext(rotatedHash)));
}

function unusedSuccessorWithinGrace(deps: Deps, token: PresentedRefreshToken, graceMs: number): string | undefined {
  if (token.successorSealed === null || token.rotatedAt === null) return undefined;
  if (deps.clock.nowMs() - token.rotatedAt > graceMs) return undefined;
  const successor = openSealedText(deps.masterKeys, token.successorSealed, sealContext(token.tokenHash));
  const state = selectRotatedAt(deps, hashOpaqueToken(successor));
  return state && state.rotated_at === null ? successor : undefined;
}

/**
 * Empties sealed successors whose grace is over (the `sessions-grace-wipe` job, every 5 s): with secure_delete the
 * freed bytes are overwritten too. Also clears what a larger grace left behind after the setting was lowered.
 */
export function wipeExpiredSuccessors(deps: Deps): number {
  const cutoff = deps.clock.nowMs() - deps.config.refreshReuseGrace * 1000;
  return deps.sqlite.transaction(
    () => clearSealedSuccessorsRotatedBefore(deps, cutoff),
  )();
}
