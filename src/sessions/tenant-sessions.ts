import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { findSignInUserById, type SignInUser } from '../identity/login-users.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { spendRefreshToken } from './refresh-reuse.ts';
import { revokeSession } from './sessions.ts';
import {
  insertRefreshTokenRow,
  insertTenantSessionRow,
  selectLiveChildSessionIds,
  selectTenantRefreshRecord,
  selectTenantSessionRecord,
  type TenantSessionRecord,
} from './store.ts';

/**
 * Tenant sessions (issue 11), in the same `sessions` / `refresh_tokens` tables and under the same rules as the
 * platform's: a refresh token is spent on every use, and presenting a spent one revokes its session.
 *
 * - An SSO session (`client_id` NULL): a person signed in to one tenant's hosted page (the SSO cookie points at it).
 * - A grant session per authorization code exchanged: `client_id`, granted `scope`, `auth_time`, and its
 *   refresh-token family. `parent_session_id` is the SSO session (ending it ends the grant) — except for
 *   `offline_access`, whose grant outlives the SSO session.
 */
export interface TenantSessionInput {
  tenantId: string;
  userId: string;
  clientId?: string | null;
  parentSessionId?: string | null;
  authTimeMs: number;
  scope?: string | null;
  expiresAtMs: number;
  authType: string;
  ip?: string | null;
  userAgent?: string | null;
}

function assertTransaction(deps: Deps, what: string): void {
  if (!deps.sqlite.inTransaction) throw new Error(`${what} must run inside the transaction of its change`);
}

/** Creates a tenant session; with `withRefreshToken` also the first token of its family. Call inside a transaction. */
export function startTenantSession(deps: Deps, input: TenantSessionInput, withRefreshToken: boolean): { sessionId: string; refreshToken?: string } {
  assertTransaction(deps, 'startTenantSession');
  const id = randomUUID();
  const now = deps.clock.nowMs();
  insertTenantSessionRow(deps, {
    id,
    tenantId: input.tenantId,
    userId: input.userId,
    clientId: input.clientId ?? null,
    parentSessionId: input.parentSessionId ?? null,
    authTimeMs: input.authTimeMs,
    scope: input.scope ?? null,
    expiresAtMs: input.expiresAtMs,
    authType: input.authType,
    ip: input.ip ?? null,
    userAgent: input.userAgent?.slice(0, 512) ?? null,
    nowMs: now,
  });
  if (!withRefreshToken) return { sessionId: id };
  const refreshToken = newOpaqueToken();
  insertRefreshTokenRow(deps, hashOpaqueToken(refreshToken), id, now);
  return { sessionId: id, refreshToken };
}

/** A tenant session as the protocol checks it. `live` folds in its own and its parent's revocation and expiry. */
export interface TenantSessionState {
  sessionId: string;
  tenantId: string | null;
  clientId: string | null;
  parentSessionId: string | null;
  scope: string | null;
  authTimeMs: number;
  expiresAtMs: number;
  live: boolean;
  user: SignInUser;
}

function toState(deps: Deps, r: TenantSessionRecord, user: SignInUser): TenantSessionState {
  const now = deps.clock.nowMs();
  const parentDead = r.parent_session_id !== null && (r.parent_revoked_at !== null || r.parent_expires_at === null || r.parent_expires_at <= now);
  return {
    sessionId: r.session_id,
    tenantId: r.tenant_id,
    clientId: r.client_id,
    parentSessionId: r.parent_session_id,
    scope: r.scope,
    authTimeMs: r.auth_time ?? r.created_at,
    expiresAtMs: r.expires_at,
    live: r.revoked_at === null && r.expires_at > now && !parentDead,
    user,
  };
}

export function tenantSessionState(deps: Deps, sessionId: string): TenantSessionState | undefined {
  const r = selectTenantSessionRecord(deps, sessionId);
  const user = r && findSignInUserById(deps, r.user_id);
  return r && user ? toState(deps, r, user) : undefined;
}

export type RefreshExchange<E> =
  /** `replayed`: the same successor once more, within KIMAUTH_REFRESH_REUSE_GRACE (see spendRefreshToken). */
  | { outcome: 'rotated' | 'replayed'; state: TenantSessionState; refreshToken: string }
  | { outcome: 'unknown' }
  | { outcome: 'foreign' }
  | { outcome: 'reused'; state: TenantSessionState }
  | { outcome: 'dead'; state: TenantSessionState }
  | { outcome: 'refused'; state: TenantSessionState; reason: E };

/**
 * Spends a tenant refresh token under the one rule of /auth/refresh (spendRefreshToken, with its reuse grace): a
 * spent token presented again revokes its session (committed with the caller's transaction); a live one is rotated.
 * A token bound to another tenant or client is left alone. `mayContinue` (the caller's check of the user) runs
 * before anything is spent or handed out.
 */
export function exchangeTenantRefreshToken<E>(
  deps: Deps,
  refreshToken: string,
  bound: { tenantId: string; clientId: string },
  actor: Actor,
  mayContinue: (state: TenantSessionState) => E | null | undefined,
): RefreshExchange<E> {
  assertTransaction(deps, 'exchangeTenantRefreshToken');
  const tokenHash = hashOpaqueToken(refreshToken);
  const r = selectTenantRefreshRecord(deps, tokenHash);
  const user = r && findSignInUserById(deps, r.user_id);
  if (!r || !user || r.tenant_id === null) return { outcome: 'unknown' };
  // Another tenant's or another client's token is not spent: its holder is not this caller.
  if (r.tenant_id !== bound.tenantId || r.client_id !== bound.clientId) return { outcome: 'foreign' };
  const state = toState(deps, r, user);
  if (!state.live) return { outcome: 'dead', state };
  const spend = spendRefreshToken(
    deps,
    { tokenHash, sessionId: state.sessionId, rotatedAt: r.rotated_at, successorSealed: r.successor_sealed },
    actor,
    () => mayContinue(state),
  );
  if (spend.outcome === 'reused') return { outcome: 'reused', state: { ...state, live: false } };
  if (spend.outcome === 'refused') return { outcome: 'refused', state, reason: spend.reason };
  return { outcome: spend.outcome, state, refreshToken: spend.refreshToken };
}

/** The session a refresh token belongs to (revocation, introspection), without spending it. */
export function tenantSessionOfRefreshToken(deps: Deps, refreshToken: string): (TenantSessionState & { rotated: boolean }) | undefined {
  const r = selectTenantRefreshRecord(deps, hashOpaqueToken(refreshToken));
  const user = r && findSignInUserById(deps, r.user_id);
  if (!r || !user || r.tenant_id === null) return undefined;
  return { ...toState(deps, r, user), rotated: r.rotated_at !== null };
}

/** Ends a tenant session and every grant session hanging off it (not offline ones). Call inside a transaction. */
export function revokeTenantSession(deps: Deps, sessionId: string, reason: string, actor: Actor): number {
  assertTransaction(deps, 'revokeTenantSession');
  let count = 0;
  for (const child of selectLiveChildSessionIds(deps, sessionId)) if (revokeSession(deps, child, reason, actor)) count++;
  if (revokeSession(deps, sessionId, reason, actor)) count++;
  return count;
}
