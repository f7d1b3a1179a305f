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

// ——— refresh tokens: lookups of /auth/refresh and the OIDC refresh grant, the reuse grace ———

/** A platform refresh token with what /auth/refresh decides on. */
export interface PlatformRefreshRecord {
  rotated_at: number | null;
  successor_sealed: string | null;
  session_id: string;
  user_id: string;
  auth_type: string;
  revoked_at: number | null;
  expires_at: number;
}

export function selectPlatformRefreshRecord(deps: Deps, tokenHash: string): PlatformRefreshRecord | undefined {
  return deps
    .statement(
      `SELECT rt.rotated_at, rt.successor_sealed, s.id AS session_id, s.user_id, s.auth_type, s.revoked_at, s.expires_at
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = ?`,
    )
    .get(tokenHash) as PlatformRefreshRecord | undefined;
}

export function selectRotatedAt(deps: Deps, tokenHash: string): { rotated_at: number | null } | undefined {
  return deps.statement('SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?').get(tokenHash) as { rotated_at: number | null } | undefined;
}

/** Keeps the sealed successor of a just-rotated token for the grace; an earlier kept copy of the session goes. */
export function keepSealedSuccessor(deps: Deps, sessionId: string, rotatedHash: string, sealed: string): void {
  deps.statement('UPDATE refresh_tokens SET successor_sealed = NULL WHERE session_id = ? AND successor_sealed IS NOT NULL').run(sessionId);
  deps.statement('UPDATE refresh_tokens SET successor_sealed = ? WHERE token_hash = ?').run(sealed, rotatedHash);
}

export function clearSealedSuccessorsRotatedBefore(deps: Deps, cutoffMs: number): number {
  return deps.statement('UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND rotated_at <= ?').run(cutoffMs).changes;
}

// ——— tenant sessions (SSO and grant sessions of a tenant's OpenID provider) ———

export interface TenantSessionRowInput {
  id: string;
  tenantId: string;
  userId: string;
  clientId: string | null;
  parentSessionId: string | null;
  authTimeMs: number;
  scope: string | null;
  expiresAtMs: number;
  authType: string;
  ip: string | null;
  userAgent: string | null;
  nowMs: number;
}

export function insertTenantSessionRow(deps: Deps, s: TenantSessionRowInput): void {
  deps
    .statement(
      `INSERT INTO sessions (id, user_id, auth_type, created_at, last_used_at, expires_at, ip, user_agent, tenant_id, client_id, parent_session_id, auth_time, scope)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(s.id, s.userId, s.authType, s.nowMs, s.nowMs, s.expiresAtMs, s.ip, s.userAgent, s.tenantId, s.clientId, s.parentSessionId, s.authTimeMs, s.scope);
}

/** A tenant session with its parent's end, as the protocol checks it. */
export interface TenantSessionRecord {
  session_id: string;
  user_id: string;
  tenant_id: string | null;
  client_id: string | null;
  parent_session_id: string | null;
  scope: string | null;
  auth_time: number | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  parent_revoked_at: number | null;
  parent_expires_at: number | null;
}

const TENANT_SESSION_COLUMNS = `s.id AS session_id, s.user_id, s.tenant_id, s.client_id, s.parent_session_id, s.scope, s.auth_time, s.created_at,
  s.expires_at, s.revoked_at, p.revoked_at AS parent_revoked_at, p.expires_at AS parent_expires_at`;

export function selectTenantSessionRecord(deps: Deps, sessionId: string): TenantSessionRecord | undefined {
  return deps
    .statement(`SELECT ${TENANT_SESSION_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.id = s.parent_session_id WHERE s.id = ?`)
    .get(sessionId) as TenantSessionRecord | undefined;
}

/** The session of a refresh token, with the token's own rotation state. */
export function selectTenantRefreshRecord(
  deps: Deps,
  tokenHash: string,
): (TenantSessionRecord & { rotated_at: number | null; successor_sealed: string | null }) | undefined {
  return deps
    .statement(
      `SELECT rt.rotated_at, rt.successor_sealed, ${TENANT_SESSION_COLUMNS} FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
         LEFT JOIN sessions p ON p.id = s.parent_session_id WHERE rt.token_hash = ?`,
    )
    .get(tokenHash) as (TenantSessionRecord & { rotated_at: number | null; successor_sealed: string | null }) | undefined;
}

export function selectLiveChildSessionIds(deps: Deps, parentSessionId: string): string[] {
  return deps.statement('SELECT id FROM sessions WHERE parent_session_id = ? AND revoked_at IS NULL').pluck().all(parentSessionId) as string[];
}
