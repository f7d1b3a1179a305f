import { randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { incrementTokenVersion } from '../identity/store.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { refreshTokens, sessions, type SessionRow } from './tables.ts';

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
  authType?: string;
}

export interface StartedSession {
  session: SessionRow;
  /** The opaque refresh token; only its SHA-256 is stored. */
  refreshToken: string;
}

function assertTransaction(deps: Deps, what: string): void {
  if (!deps.sqlite.inTransaction) throw new Error(`${what} must run inside the transaction of its change`);
}

/** Creates a session and its first refresh token. Call inside the sign-in transaction. */
export function startSession(deps: Deps, userId: string, meta: SessionMeta = {}): StartedSession {
  assertTransaction(deps, 'startSession');
  const now = deps.clock.now();
  const session: SessionRow = {
    id: randomUUID(),
    userId,
    authType: meta.authType ?? 'internal',
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + deps.config.refreshTokenTtl * 1000),
    revokedAt: null,
    revokeReason: null,
    ip: meta.ip ?? null,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
  };
  // Prepared statements rather than drizzle: this runs on every sign-in.
  deps.statement(`INSERT INTO sessions (id, user_id, auth_type, created_at, last_used_at, expires_at, ip, user_agent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(session.id, userId, session.authType, now.getTime(), now.getTime(), session.expiresAt.getTime(), session.ip, session.userAgent);
  const refreshToken = newOpaqueToken();
  insertRefreshToken(deps, hashOpaqueToken(refreshToken), session.id, now.getTime());
  return { session, refreshToken };
}

function insertRefreshToken(deps: Deps, tokenHash: string, sessionId: string, nowMs: number): void {
  deps.statement('INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)').run(
    tokenHash,
    sessionId,
    nowMs,
  );
}

export interface RefreshTokenLookup {
  tokenHash: string;
  rotatedAt: Date | null;
  session: SessionRow;
}

export function findRefreshToken(deps: Deps, refreshToken: string): RefreshTokenLookup | undefined {
  const row = deps.db
    .select({ tokenHash: refreshTokens.tokenHash, rotatedAt: refreshTokens.rotatedAt, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, hashOpaqueToken(refreshToken)))
    .get();
  return row;
}

/** Marks the presented token rotated and issues the next one. Call inside the refresh transaction. */
export function rotateRefreshToken(deps: Deps, tokenHash: string, sessionId: string): string {
  assertTransaction(deps, 'rotateRefreshToken');
  const now = deps.clock.nowMs();
  deps.statement('UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?').run(now, tokenHash);
  deps.statement('UPDATE sessions SET last_used_at = ? WHERE id = ?').run(now, sessionId);
  const next = newOpaqueToken();
  insertRefreshToken(deps, hashOpaqueToken(next), sessionId, now);
  return next;
}

/** Revokes one session (idempotent) and audits it. Call inside a transaction. Returns false if already revoked. */
export function revokeSession(deps: Deps, sessionId: string, reason: string, actor: Actor): boolean {
  assertTransaction(deps, 'revokeSession');
  const result = deps.db
    .update(sessions)
    .set({ revokedAt: deps.clock.now(), revokeReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .run();
  if (result.changes === 0) return false;
  const session = deps.db.select({ userId: sessions.userId }).from(sessions).where(eq(sessions.id, sessionId)).get();
  deps.audit.append(deps.platformTenantId(), {
    actor,
    type: 'session.revoked',
    target: { type: 'session', id: sessionId },
    payload: { userId: session?.userId ?? null, reason },
  });
  return true;
}

/**
 * Revokes every live session of a user and, when asked, bumps tokenVersion so every access token issued
 * before stops working at once. Call inside a transaction. Returns how many sessions were revoked.
 */
export function revokeAllSessions(
  deps: Deps,
  userId: string,
  reason: string,
  actor: Actor,
  options: { bumpTokenVersion?: boolean } = {},
): number {
  assertTransaction(deps, 'revokeAllSessions');
  const live = deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .all();
  const now = deps.clock.now();
  deps.db
    .update(sessions)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .run();
  if (options.bumpTokenVersion) bumpTokenVersion(deps, userId);
  deps.audit.append(deps.platformTenantId(), {
    actor,
    type: 'session.revoked_all',
    target: { type: 'user', id: userId },
    payload: { reason, sessions: live.map((s) => s.id), tokenVersionBumped: Boolean(options.bumpTokenVersion) },
  });
  return live.length;
}

/** Invalidates every access token of the user issued before now. Call inside a transaction. */
export function bumpTokenVersion(deps: Deps, userId: string): void {
  assertTransaction(deps, 'bumpTokenVersion');
  incrementTokenVersion(deps, userId, deps.clock.now());
}

export function listSessions(deps: Deps, userId: string, options: { includeRevoked?: boolean } = {}): SessionRow[] {
  const where = options.includeRevoked
    ? eq(sessions.userId, userId)
    : and(eq(sessions.userId, userId), isNull(sessions.revokedAt));
  return deps.db.select().from(sessions).where(where).orderBy(sessions.createdAt).all();
}

export function getSession(deps: Deps, sessionId: string): SessionRow | undefined {
  return deps.db.select().from(sessions).where(eq(sessions.id, sessionId)).get();
}
