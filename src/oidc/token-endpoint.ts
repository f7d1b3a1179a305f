import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { authenticateClient, type FormBody } from './client-auth.ts';
import { invalidRequest, OAuthError } from './errors.ts';
import { authorizationCodeGrant } from './grants/authorization-code.ts';
import { clientCredentialsGrant } from './grants/client-credentials.ts';
import { refreshTokenGrant } from './grants/refresh-token.ts';
import { tokenExchangeGrant } from './grants/token-exchange.ts';
import { TOKEN_EXCHANGE_GRANT } from '../clients/tables.ts';
import { providerOf } from './provider.ts';
import type { TokenResponse } from './token-response.ts';

/** POST /t/{slug}/protocol/openid-connect/token: authenticates the client, then hands over to its grant. */
export async function tokenRequest(deps: Deps, caller: Principal, slug: string, authorization: string | undefined, body: FormBody): Promise<TokenResponse> {
  const provider = providerOf(deps, slug);
  if (!body.grant_type) throw invalidRequest('grant_type is required');
  const client = authenticateClient(deps, provider, authorization, body);
  switch (body.grant_type) {
    case 'authorization_code':
      return authorizationCodeGrant(deps, caller, provider, client, body);
    case 'refresh_token':
      return refreshTokenGrant(deps, caller, provider, client, body);
    case 'client_credentials':
      return clientCredentialsGrant(deps, provider, client, body);
    case TOKEN_EXCHANGE_GRANT:
      return tokenExchangeGrant(deps, provider, client, body);
    default:
      throw new OAuthError('unsupported_grant_type', `grant_type "${body.grant_type}" is not supported`);
  }
}
