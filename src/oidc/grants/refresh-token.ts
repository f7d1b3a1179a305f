import type { Deps } from '../../app/deps.ts';
import type { Principal } from '../../authorization/principal.ts';
import type { OAuthClient } from '../../clients/clients.ts';
import { exchangeTenantRefreshToken } from '../../sessions/tenant-sessions.ts';
import type { FormBody } from '../client-auth.ts';
import { invalidGrant, invalidRequest, OAuthError } from '../errors.ts';
import type { Provider } from '../provider.ts';
import { parseScope } from '../scopes.ts';
import { issueTenantAccessToken } from '../tokens.ts';
import type { TokenResponse } from '../token-response.ts';
import { userMayUseTenant } from '../user-access.ts';

/**
 * grant_type=refresh_token (RFC 6749 §6): the /auth/refresh rule of the sessions context — rotated on every use, a
 * reused token revokes its whole session. `scope` may narrow what was granted, never widen it.
 */
export async function refreshTokenGrant(deps: Deps, caller: Principal, provider: Provider, client: OAuthClient, body: FormBody): Promise<TokenResponse> {
  if (!client.grantTypes.includes('refresh_token')) throw new OAuthError('unauthorized_client', 'This client may not use refresh_token');
  if (!body.refresh_token) throw invalidRequest('refresh_token is required');
  const refreshToken = body.refresh_token;
  const outcome = deps.sqlite.transaction(() => {
    const exchange = exchangeTenantRefreshToken(deps, refreshToken, { tenantId: provider.tenant.id, clientId: client.clientId }, caller);
    if (exchange.outcome === 'unknown' || exchange.outcome === 'foreign') return invalidGrant('Invalid refresh token');
    if (exchange.outcome === 'reused') return invalidGrant('Refresh token was already used; the session has been revoked');
    if (exchange.outcome === 'dead') return invalidGrant('The session has ended; sign in again');
    if (!userMayUseTenant(deps, exchange.state.user, provider.tenant.id)) return invalidGrant('This account may no longer sign in to this workspace');
    const granted = parseScope(exchange.state.scope ?? '');
    const asked = body.scope === undefined ? granted : parseScope(body.scope);
    if (asked.some((s) => !granted.includes(s))) return new OAuthError('invalid_scope', 'scope may only narrow what was granted');
    return { exchange, scopes: asked };
  })();
  if (outcome instanceof OAuthError) throw outcome;
  const { exchange, scopes } = outcome;
  const { accessToken, expiresIn } = await issueTenantAccessToken(deps, provider, client, {
    user: exchange.state.user,
    sessionId: exchange.state.sessionId,
    scopes,
  });
  return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' '), refresh_token: exchange.refreshToken };
}
