import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { SIGN_IN_USER_COLUMNS, toSignInUser, type SignInUser, type SignInUserRecord } from '../identity/login-users.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { spendRefreshToken } from './refresh-reuse.ts';
import { revokeSession } from './sessions.ts';

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
  deps
    .statement(
      `INSERT INTO sessions (id, user_id, auth_type, created_at, last_used_at, expires_at, ip, user_agent, tenant_id, client_id, parent_session_id, auth_time, scope)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      id,
      input.userId,
      input.authType,
      now,
      now,
      input.expiresAtMs,
      input.ip ?? null,
      input.userAgent?.slice(0, 512) ?? null,
      input.tenantId,
      input.clientId ?? null,
      input.parentSessionId ?? null,
      input.authTimeMs,
      input.scope ?? null,
    );
  if (!withRefreshToken) return { sessionId: id };
  const refreshToken = newOpaqueToken();
  deps.statement('INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)').run(hashOpaqueToken(refreshToken), id, now);
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

interface StateRecord extends SignInUserRecord {
  session_id: string;
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

const STATE_COLUMNS = `s.id AS session_id, s.tenant_id, s.client_id, s.parent_session_id, s.scope, s.auth_time, s.created_at, s.expires_at,
  s.revoked_at, p.revoked_at AS parent_revoked_at, p.expires_at AS parent_expires_at, ${SIGN_IN_USER_COLUMNS}`;

function toState(deps: Deps, r: StateRecord): TenantSessionState {
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
    user: toSignInUser(r),
  };
}

export function tenantSessionState(deps: Deps, sessionId: string): TenantSessionState | undefined {
  const r = deps
    .statement(`SELECT ${STATE_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.id = s.parent_session_id JOIN users u ON u.id = s.user_id WHERE s.id = ?`)
    .get(sessionId) as StateRecord | undefined;
  return r ? toState(deps, r) : undefined;
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
  const r = deps
    .statement(
      `SELECT rt.rotated_at, rt.successor_sealed, ${STATE_COLUMNS} FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
         LEFT JOIN sessions p ON p.id = s.parent_session_id JOIN users u ON u.id = s.user_id WHERE rt.token_hash = ?`,
    )
    .get(tokenHash) as (StateRecord & { rotated_at: number | null; successor_sealed: string | null }) | undefined;
  if (!r || r.tenant_id === null) return { outcome: 'unknown' };
  // Another tenant's or another client's token is not spent: its holder is not this caller.
  if (r.tenant_id !== bound.tenantId || r.client_id !== bound.clientId) return { outcome: 'foreign' };
  const state = toState(deps, r);
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
  const r = deps
    .statement(
      `SELECT rt.rotated_at, ${STATE_COLUMNS} FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
         LEFT JOIN sessions p ON p.id = s.parent_session_id JOIN users u ON u.id = s.user_id WHERE rt.token_hash = ?`,
    )
    .get(hashOpaqueToken(refreshToken)) as (StateRecord & { rotated_at: number | null }) | undefined;
  if (!r || r.tenant_id === null) return undefined;
  return { ...toState(deps, r), rotated: r.rotated_at !== null };
}

/** Ends a tenant session and every grant session hanging off it (not offline ones). Call inside a transaction. */
export function revokeTenantSession(deps: Deps, sessionId: string, reason: string, actor: Actor): number {
  assertTransaction(deps, 'revokeTenantSession');
  const children = deps.statement('SELECT id FROM sessions WHERE parent_session_id = ? AND revoked_at IS NULL').all(sessionId) as { id: string }[];
  let count = 0;
  for (const child of children) if (revokeSession(deps, child.id, reason, actor)) count++;
  if (revokeSession(deps, sessionId, reason, actor)) count++;
  return count;
}
