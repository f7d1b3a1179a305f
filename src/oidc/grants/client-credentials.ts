import type { Deps } from '../../app/deps.ts';
import type { OAuthClient } from '../../clients/clients.ts';
import type { FormBody } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import type { Provider } from '../provider.ts';
import { allowedScopes, parseScope, USER_ONLY_SCOPES } from '../scopes.ts';
import { issueTenantAccessToken } from '../tokens.ts';
import type { TokenResponse } from '../token-response.ts';

/**
 * grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting as itself (`sub` = client id,
 * `actor_type: client`). No session, no refresh token, no database write: one read and one signature.
 */
export async function clientCredentialsGrant(deps: Deps, provider: Provider, client: OAuthClient, body: FormBody): Promise<TokenResponse> {
  if (client.clientType !== 'confidential' || !client.grantTypes.includes('client_credentials')) {
    throw new OAuthError('unauthorized_client', 'This client may not use client_credentials');
  }
  const requested = parseScope(body.scope);
  const refused = requested.find((s) => USER_ONLY_SCOPES.includes(s));
  if (refused) throw new OAuthError('invalid_scope', `Scope "${refused}" needs a signed-in user`);
  const scopes = requested.length ? allowedScopes(client, requested) : client.scopes.filter((s) => !USER_ONLY_SCOPES.includes(s));
  const { accessToken, expiresIn } = await issueTenantAccessToken(deps, provider, client, { scopes });
  return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
}
