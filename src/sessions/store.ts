import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { refreshTokens, sessions, type SessionRow } from './tables.ts';

/** Whether a session may still carry access tokens: the two columns every Bearer check reads. */
export interface SessionLiveness {
  revokedAtMs: number | null;
  expiresAtMs: number;
}

/** The session of an access token, bound to its user (a token naming another user's session finds nothing). */
export function selectSessionLiveness(deps: Deps, sessionId: string, userId: string): SessionLiveness | undefined {
  const r = deps.statement('SELECT revoked_at, expires_at FROM sessions WHERE id = ? AND user_id = ?').get(sessionId, userId) as
    | { revoked_at: number | null; expires_at: number }
    | undefined;
  return r ? { revokedAtMs: r.revoked_at, expiresAtMs: r.expires_at } : undefined;
}

// ——— platform sessions and their refresh tokens ———

export function insertSessionRow(deps: Deps, session: SessionRow): void {
  deps
    .statement(
      `INSERT INTO sessions (id, user_id, auth_type, created_at, last_used_at, expires_at, ip, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      session.id,
      session.userId,
      session.authType,
      session.createdAt.getTime(),
      session.lastUsedAt.getTime(),
      session.expiresAt.getTime(),
      session.ip,
      session.userAgent,
    );
}

export function insertRefreshTokenRow(deps: Deps, tokenHash: string, sessionId: string, nowMs: number): void {
  deps.statement('INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)').run(tokenHash, sessionId, nowMs);
}

/** Spends a refresh token and touches its session: the first half of a rotation. */
export function markRefreshTokenRotated(deps: Deps, tokenHash: string, sessionId: string, nowMs: number): void {
  deps.statement('UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?').run(nowMs, tokenHash);
  deps.statement('UPDATE sessions SET last_used_at = ? WHERE id = ?').run(nowMs, sessionId);
}

export function selectRefreshTokenWithSession(deps: Deps, tokenHash: string): { tokenHash: string; rotatedAt: Date | null; session: SessionRow } | undefined {
  return deps.db
    .select({ tokenHash: refreshTokens.tokenHash, rotatedAt: refreshTokens.rotatedAt, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .get();
}

/** Revokes a session that is still live; false when it was already revoked (or does not exist). */
export function markSessionRevoked(deps: Deps, sessionId: string, reason: string, now: Date): boolean {
  return (
    deps.db
      .update(sessions)
      .set({ revokedAt: now, revokeReason: reason })
      .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
      .run().changes > 0
  );
}

/** Revokes every live session of a user; returns their ids. */
export function markLiveSessionsOfUserRevoked(deps: Deps, userId: string, reason: string, now: Date): string[] {
  const live = deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .all();
  deps.db
    .update(sessions)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .run();
  return live.map((s) => s.id);
}

export function selectSessionsOfUser(deps: Deps, userId: string, includeRevoked: boolean): SessionRow[] {
  const where = includeRevoked ? eq(sessions.userId, userId) : and(eq(sessions.userId, userId), isNull(sessions.revokedAt));
  return deps.db.select().from(sessions).where(where).orderBy(sessions.createdAt).all();
}

export function selectSessionById(deps: Deps, sessionId: string): SessionRow | undefined {
  return deps.db.select().from(sessions).where(eq(sessions.id, sessionId)).get();
}

/** Deletes sessions that ended before the cutoff with their refresh tokens. */
export function deleteSessionsEndedBefore(deps: Deps, endedBefore: Date): { sessions: number; refreshTokens: number } {
  const ended = or(lt(sessions.revokedAt, endedBefore), lt(sessions.expiresAt, endedBefore));
  const endedIds = deps.db.select({ id: sessions.id }).from(sessions).where(ended);
  const deletedTokens = deps.db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, endedIds)).run().changes;
  const deletedSessions = deps.db.delete(sessions).where(ended).run().changes;
  return { sessions: deletedSessions, refreshTokens: deletedTokens };
}
