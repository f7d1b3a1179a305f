import type { Deps } from '../../app/deps.ts';
import type { Principal } from '../../authorization/principal.ts';
import type { OAuthClient } from '../../clients/clients.ts';
import { exchangeTenantRefreshToken } from '../../sessions/tenant-sessions.ts';
import type { FormBody } from '../client-auth.ts';
import { invalidGrant, invalidRequest, OAuthError } from '../errors.ts';
import type { Provider } from '../provider.ts';
import { parseScope } from '../scopes.ts';
import { issueIdToken, issueTenantAccessToken } from '../tokens.ts';
import type { TokenResponse } from '../token-response.ts';
import { userMayUseTenant } from '../user-access.ts';

/**
 * grant_type=refresh_token (RFC 6749 §6): the /auth/refresh rule of the sessions context, reuse grace included —
 * rotated on every use, a reused token revokes its whole session. `scope` may narrow what was granted, never widen
 * it. With `openid` a new ID token comes along (OIDC Core §12.2: same iss/sub/aud, the original auth_time, no nonce).
 */
export async function refreshTokenGrant(deps: Deps, caller: Principal, provider: Provider, client: OAuthClient, body: FormBody): Promise<TokenResponse> {
  if (!client.grantTypes.includes('refresh_token')) throw new OAuthError('unauthorized_client', 'This client may not use refresh_token');
  if (!body.refresh_token) throw invalidRequest('refresh_token is required');
  const refreshToken = body.refresh_token;
  const exchange = deps.sqlite.transaction(() =>
    exchangeTenantRefreshToken(deps, refreshToken, { tenantId: provider.tenant.id, clientId: client.clientId }, caller, (state) => {
      if (!userMayUseTenant(deps, state.user, provider.tenant.id)) return invalidGrant('This account may no longer sign in to this workspace');
      const granted = parseScope(state.scope ?? '');
      const asked = body.scope === undefined ? granted : parseScope(body.scope);
      if (asked.some((s) => !granted.includes(s))) return new OAuthError('invalid_scope', 'scope may only narrow what was granted');
      return undefined;
    }),
  )();
  if (exchange.outcome === 'unknown' || exchange.outcome === 'foreign') throw invalidGrant('Invalid refresh token');
  if (exchange.outcome === 'reused') throw invalidGrant('Refresh token was already used; the session has been revoked');
  if (exchange.outcome === 'dead') throw invalidGrant('The session has ended; sign in again');
  if (exchange.outcome === 'refused') throw exchange.reason;
  const { state } = exchange;
  const scopes = body.scope === undefined ? parseScope(state.scope ?? '') : parseScope(body.scope);
  const grant = { user: state.user, sessionId: state.sessionId, scopes };
  const { accessToken, expiresIn } = await issueTenantAccessToken(deps, provider, client, grant);
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' '), refresh_token: exchange.refreshToken };
  if (scopes.includes('openid')) {
    response.id_token = await issueIdToken(deps, provider, client, { ...grant, authTimeMs: state.authTimeMs, nonce: null, accessToken });
  }
  return response;
}
