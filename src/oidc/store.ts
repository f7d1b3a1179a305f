import type { Deps } from '../app/deps.ts';

/** SQL of the oidc context: authorization codes, SSO cookies, tenant branding (migration 0031). */

export interface AuthorizationCodeRow {
  codeHash: string;
  tenantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  scope: string;
  nonce: string | null;
  ssoSessionId: string;
  userId: string;
  authTimeMs: number;
  expiresAtMs: number;
  usedAtMs: number | null;
  grantSessionId: string | null;
}

export function insertAuthorizationCode(deps: Deps, c: AuthorizationCodeRow): void {
  deps
    .statement(
      `INSERT INTO oidc_authorization_codes (code_hash, tenant_id, client_id, redirect_uri, code_challenge, scope, nonce, sso_session_id, user_id,
         auth_time, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(c.codeHash, c.tenantId, c.clientId, c.redirectUri, c.codeChallenge, c.scope, c.nonce, c.ssoSessionId, c.userId, c.authTimeMs, c.expiresAtMs);
}

export function selectAuthorizationCode(deps: Deps, codeHash: string): AuthorizationCodeRow | undefined {
  const r = deps.statement('SELECT * FROM oidc_authorization_codes WHERE code_hash = ?').get(codeHash) as Record<string, never> | undefined;
  if (!r) return undefined;
  return {
    codeHash: r.code_hash,
    tenantId: r.tenant_id,
    clientId: r.client_id,
    redirectUri: r.redirect_uri,
    codeChallenge: r.code_challenge,
    scope: r.scope,
    nonce: r.nonce,
    ssoSessionId: r.sso_session_id,
    userId: r.user_id,
    authTimeMs: r.auth_time,
    expiresAtMs: r.expires_at,
    usedAtMs: r.used_at,
    grantSessionId: r.grant_session_id,
  };
}

/** Marks a code used by the grant session it issued; false when it was already used (a replay). */
export function spendAuthorizationCode(deps: Deps, codeHash: string, grantSessionId: string): boolean {
  return (
    deps
      .statement('UPDATE oidc_authorization_codes SET used_at = ?, grant_session_id = ? WHERE code_hash = ? AND used_at IS NULL')
      .run(deps.clock.nowMs(), grantSessionId, codeHash).changes === 1
  );
}

export function markAuthorizationCodeUsed(deps: Deps, codeHash: string): void {
  deps.statement('UPDATE oidc_authorization_codes SET used_at = coalesce(used_at, ?) WHERE code_hash = ?').run(deps.clock.nowMs(), codeHash);
}

/** Codes whose minute is long over (the maintenance purge may call it). */
export function deleteExpiredAuthorizationCodes(deps: Deps, beforeMs: number): number {
  return deps.statement('DELETE FROM oidc_authorization_codes WHERE expires_at < ?').run(beforeMs).changes;
}

export function insertBrowserSession(deps: Deps, cookieHash: string, tenantId: string, sessionId: string): void {
  deps
    .statement('INSERT INTO oidc_browser_sessions (cookie_hash, tenant_id, session_id, created_at) VALUES (?, ?, ?, ?)')
    .run(cookieHash, tenantId, sessionId, deps.clock.nowMs());
}

export function browserSessionId(deps: Deps, cookieHash: string, tenantId: string): string | undefined {
  const r = deps.statement('SELECT session_id FROM oidc_browser_sessions WHERE cookie_hash = ? AND tenant_id = ?').get(cookieHash, tenantId) as
    | { session_id: string }
    | undefined;
  return r?.session_id;
}

export function deleteBrowserSessions(deps: Deps, sessionId: string): void {
  deps.statement('DELETE FROM oidc_browser_sessions WHERE session_id = ?').run(sessionId);
}

export interface TenantBranding {
  displayName: string | null;
  logoUrl: string | null;
  accentColor: string | null;
}

export function selectBranding(deps: Deps, tenantId: string): TenantBranding {
  const r = deps.statement('SELECT display_name, logo_url, accent_color FROM tenant_branding WHERE tenant_id = ?').get(tenantId) as
    | { display_name: string | null; logo_url: string | null; accent_color: string | null }
    | undefined;
  return { displayName: r?.display_name ?? null, logoUrl: r?.logo_url ?? null, accentColor: r?.accent_color ?? null };
}

export function upsertBranding(deps: Deps, tenantId: string, b: TenantBranding): void {
  deps
    .statement(
      `INSERT INTO tenant_branding (tenant_id, display_name, logo_url, accent_color, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET display_name = excluded.display_name, logo_url = excluded.logo_url,
         accent_color = excluded.accent_color, updated_at = excluded.updated_at`,
    )
    .run(tenantId, b.displayName, b.logoUrl, b.accentColor, deps.clock.nowMs());
}

export function insertRevokedAccessToken(deps: Deps, jti: string, tenantId: string, expiresAtMs: number): void {
  deps.statement('INSERT OR IGNORE INTO oidc_revoked_access_tokens (jti, tenant_id, expires_at) VALUES (?, ?, ?)').run(jti, tenantId, expiresAtMs);
}

export function isAccessTokenRevoked(deps: Deps, jti: string): boolean {
  return deps.statement('SELECT 1 FROM oidc_revoked_access_tokens WHERE jti = ?').get(jti) !== undefined;
}

/** Revoked access tokens past their exp need no remembering. */
export function deleteExpiredRevocations(deps: Deps, beforeMs: number): number {
  return deps.statement('DELETE FROM oidc_revoked_access_tokens WHERE expires_at < ?').run(beforeMs).changes;
}
