import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { incrementTokenVersion } from '../identity/store.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import type { SessionRow } from './tables.ts';
import {
  insertRefreshTokenRow,
  insertSessionRow,
  markLiveSessionsOfUserRevoked,
  markRefreshTokenRotated,
  markSessionRevoked,
  selectRefreshTokenWithSession,
  selectSessionById,
  selectSessionsOfUser,
} from './store.ts';

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
  insertSessionRow(deps, session);
  const refreshToken = newOpaqueToken();
  insertRefreshTokenRow(deps, hashOpaqueToken(refreshToken), session.id, now.getTime());
  return { session, refreshToken };
}

export interface RefreshTokenLookup {
  tokenHash: string;
  rotatedAt: Date | null;
  session: SessionRow;
}

export function findRefreshToken(deps: Deps, refreshToken: string): RefreshTokenLookup | undefined {
  return selectRefreshTokenWithSession(deps, hashOpaqueToken(refreshToken));
}

/** Marks the presented token rotated and issues the next one. Call inside the refresh transaction. */
export function rotateRefreshToken(deps: Deps, tokenHash: string, sessionId: string): string {
  assertTransaction(deps, 'rotateRefreshToken');
  const now = deps.clock.nowMs();
  markRefreshTokenRotated(deps, tokenHash, sessionId, now);
  const next = newOpaqueToken();
  insertRefreshTokenRow(deps, hashOpaqueToken(next), sessionId, now);
  return next;
}

/** Revokes one session (idempotent) and audits it. Call inside a transaction. Returns false if already revoked. */
export function revokeSession(deps: Deps, sessionId: string, reason: string, actor: Actor): boolean {
  assertTransaction(deps, 'revokeSession');
  if (!markSessionRevoked(deps, sessionId, reason, deps.clock.now())) return false;
  const session = selectSessionById(deps, sessionId);
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
  const live = markLiveSessionsOfUserRevoked(deps, userId, reason, deps.clock.now());
  if (options.bumpTokenVersion) bumpTokenVersion(deps, userId);
  deps.audit.append(deps.platformTenantId(), {
    actor,
    type: 'session.revoked_all',
    target: { type: 'user', id: userId },
    payload: { reason, sessions: live, tokenVersionBumped: Boolean(options.bumpTokenVersion) },
  });
  return live.length;
}

/** Invalidates every access token of the user issued before now. Call inside a transaction. */
export function bumpTokenVersion(deps: Deps, userId: string): void {
  assertTransaction(deps, 'bumpTokenVersion');
  incrementTokenVersion(deps, userId, deps.clock.now());
}

export function listSessions(deps: Deps, userId: string, options: { includeRevoked?: boolean } = {}): SessionRow[] {
  return selectSessionsOfUser(deps, userId, Boolean(options.includeRevoked));
}

export function getSession(deps: Deps, sessionId: string): SessionRow | undefined {
  return selectSessionById(deps, sessionId);
}
