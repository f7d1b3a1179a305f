import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { revokeTenantSession, tenantSessionOfRefreshToken } from '../sessions/tenant-sessions.ts';
import { checkAccessToken, looksLikeJws } from './access-token-check.ts';
import { authenticateClient, type FormBody } from './client-auth.ts';
import { invalidRequest } from './errors.ts';
import { providerOf } from './provider.ts';
import { insertRevokedAccessToken } from './store.ts';

/**
 * POST /t/{slug}/protocol/openid-connect/revoke (RFC 7009). A refresh token ends its grant (every token of that
 * family and the access tokens issued with it); an access token stops working alone. Unknown, foreign or already
 * invalid tokens answer 200 as well (§2.2): the endpoint is no oracle.
 */
export function revoke(deps: Deps, caller: Principal, slug: string, authorization: string | undefined, body: FormBody): void {
  const provider = providerOf(deps, slug);
  const client = authenticateClient(deps, provider, authorization, body);
  const token = body.token;
  if (!token) throw invalidRequest('token is required');
  deps.sqlite.transaction(() => {
    if (looksLikeJws(token)) {
      const checked = checkAccessToken(deps, provider, token);
      if (!checked || checked.claims.client_id !== client.clientId) return;
      insertRevokedAccessToken(deps, checked.claims.jti, provider.tenant.id, checked.claims.exp * 1000);
      deps.audit.append(provider.tenant.id, {
        actor: caller,
        type: 'token.revoked',
        target: { type: 'access_token', id: checked.claims.jti },
        payload: { client_id: client.clientId },
      });
      return;
    }
    const found = tenantSessionOfRefreshToken(deps, token);
    if (!found || found.tenantId !== provider.tenant.id || found.clientId !== client.clientId) return;
    revokeTenantSession(deps, found.sessionId, 'token_revoked', caller);
    deps.audit.append(provider.tenant.id, {
      actor: caller,
      type: 'token.revoked',
      target: { type: 'session', id: found.sessionId },
      payload: { client_id: client.clientId, token_type: 'refresh_token' },
    });
  })();
}
