import type { Deps } from '../app/deps.ts';
import { tenantSessionOfRefreshToken } from '../sessions/tenant-sessions.ts';
import { checkAccessToken, looksLikeJws } from './access-token-check.ts';
import { authenticateClient, type FormBody } from './client-auth.ts';
import { invalidRequest } from './errors.ts';
import { providerOf } from './provider.ts';
import { userMayUseTenant } from './user-access.ts';

/**
 * POST /t/{slug}/protocol/openid-connect/introspect (RFC 7662), client-authenticated. A token of another tenant
 * or another client, an expired, revoked or spent one is `{ active: false }` and nothing more.
 */
export function introspect(deps: Deps, slug: string, authorization: string | undefined, body: FormBody): Record<string, unknown> {
  const provider = providerOf(deps, slug);
  const client = authenticateClient(deps, provider, authorization, body);
  const token = body.token;
  if (!token) throw invalidRequest('token is required');
  const inactive = { active: false };
  if (looksLikeJws(token)) {
    const checked = checkAccessToken(deps, provider, token);
    if (!checked || checked.claims.client_id !== client.clientId) return inactive;
    const c = checked.claims;
    return {
      active: true,
      token_type: 'Bearer',
      scope: c.scope,
      client_id: c.client_id,
      sub: c.sub,
      aud: c.aud,
      iss: c.iss,
      exp: c.exp,
      iat: c.iat,
      jti: c.jti,
      ...(c.sid ? { sid: c.sid } : {}),
      tenant: provider.tenant.slug,
      actor_type: c.actor_type,
      ...(checked.session ? { username: checked.session.user.email } : {}),
    };
  }
  const found = tenantSessionOfRefreshToken(deps, token);
  if (!found || found.rotated || !found.live || found.tenantId !== provider.tenant.id || found.clientId !== client.clientId) return inactive;
  if (!userMayUseTenant(deps, found.user, provider.tenant.id)) return inactive;
  return {
    active: true,
    token_type: 'refresh_token',
    scope: found.scope ?? '',
    client_id: found.clientId,
    sub: found.user.id,
    exp: Math.floor(found.expiresAtMs / 1000),
    iss: provider.issuer,
    sid: found.sessionId,
    tenant: provider.tenant.slug,
  };
}
