import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { provenUser, type Principal, type UserPrincipal } from '../authorization/principal.ts';
import { findRefreshToken, getSession, revokeAllSessions, revokeSession } from './sessions.ts';

/**
 * POST /auth/logout: ends the session the refresh token belongs to. Idempotent and silent: an unknown, spent or
 * already-revoked token also answers ok, so the route is no oracle for which tokens are valid. A spent (rotated)
 * token still ends its session — whoever holds an old token should not keep the session alive.
 * Returns whether a live session was ended.
 */
export function logout(deps: Deps, caller: Principal, refreshToken: string): boolean {
  return deps.sqlite.transaction(() => {
    const found = findRefreshToken(deps, refreshToken);
    if (!found || found.session.revokedAt) return false;
    // Whoever holds the refresh token acts as its session's user.
    const actor = provenUser(caller, found.session.userId);
    if (!revokeSession(deps, found.session.id, 'logout', actor)) return false;
    deps.audit.append(deps.platformTenantId(), {
      actor,
      type: 'user.signed_out',
      target: { type: 'user', id: found.session.userId },
      payload: { sessionId: found.session.id },
    });
    return true;
  })();
}

/** POST /auth/logout-all: every session of the caller ends and every access token issued so far stops working. */
export function logoutEverywhere(deps: Deps, caller: UserPrincipal, sessionId: string): number {
  const userId = caller.id;
  return deps.sqlite.transaction(() => {
    const count = revokeAllSessions(deps, userId, 'logout_all', caller, { bumpTokenVersion: true });
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'user.signed_out',
      target: { type: 'user', id: userId },
      payload: { sessionId, allSessions: true, revokedSessions: count },
    });
    return count;
  })();
}

/** Operators and admin routes: revoke one session by id. Returns false when it was already revoked. */
export function revokeSessionById(deps: Deps, sessionId: string, reason: string, actor: Actor): boolean {
  return deps.sqlite.transaction(() => {
    if (!getSession(deps, sessionId)) throw notFound(`Session "${sessionId}"`);
    return revokeSession(deps, sessionId, reason, actor);
  })();
}

/** Operators and admin routes: revoke every session of a user and bump tokenVersion. Returns how many ended. */
export function revokeEverySession(deps: Deps, userId: string, reason: string, actor: Actor): number {
  return deps.sqlite.transaction(() => revokeAllSessions(deps, userId, reason, actor, { bumpTokenVersion: true }))();
}
