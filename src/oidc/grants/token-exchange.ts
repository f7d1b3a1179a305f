import type { Deps } from '../../app/deps.ts';
import { isAppError, type AppError } from '../../app/errors.ts';
import { exchangeAgentToken } from '../../agents/agent-tokens.ts';
import type { OAuthClient } from '../../clients/clients.ts';
import { TOKEN_EXCHANGE_GRANT } from '../../clients/tables.ts';
import { actAsGroup } from '../../sessions/act-as-group.ts';
import { TenantTokenVerifier } from '../../tokens/tenant-tokens.ts';
import type { FormBody } from '../client-auth.ts';
import { invalidGrant, invalidRequest, OAuthError } from '../errors.ts';
import type { Provider } from '../provider.ts';
import type { TokenResponse } from '../token-response.ts';

/** An agent's API token (`kimauth_<slug>_agt_…`) as the subject of an exchange; kimauth's own URN (RFC 8693 §3 allows them). */
export const AGENT_TOKEN_TYPE = 'urn:kimauth:params:oauth:token-type:agent-token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693), for clients registered with that grant:
 *
 *   subject_token_type=urn:kimauth:params:oauth:token-type:agent-token, subject_token=<agent API token>
 *     [audience=<one of the agent's audiences>]            → the agent's JWT (as POST /t/{slug}/v1/agents/token)
 *   subject_token_type=urn:ietf:params:oauth:token-type:access_token, subject_token=<a member's tenant access token>,
 *     requested_actor=<group name or id>                    → a token acting for the group (as POST …/v1/sessions/act-as)
 *
 * The same services answer both doors, with the same per-agent rate limit and the same audit entries. `actor_token`
 * (delegation by a second party) is not offered: the subject itself is the party asking.
 */
export async function tokenExchangeGrant(deps: Deps, provider: Provider, client: OAuthClient, body: FormBody): Promise<TokenResponse> {
  if (!client.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) throw new OAuthError('unauthorized_client', 'This client may not use token exchange');
  if (!body.subject_token) throw invalidRequest('subject_token is required');
  if (!body.subject_token_type) throw invalidRequest('subject_token_type is required');
  if (body.actor_token || body.actor_token_type) throw invalidRequest('actor_token is not supported: name the group to act for with requested_actor');
  if (body.requested_token_type && body.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(`Only ${ACCESS_TOKEN_TYPE} can be issued`);
  }
  const slug = provider.tenant.slug;
  try {
    switch (body.subject_token_type) {
      case AGENT_TOKEN_TYPE: {
        if (body.requested_actor) throw invalidRequest('An agent acts only as itself: requested_actor is for user access tokens');
        const issued = await exchangeAgentToken(deps, slug, body.subject_token, { audience: body.audience, limiter: deps.agentExchangeLimiter });
        return { access_token: issued.access_token, token_type: 'Bearer', expires_in: issued.expires_in, issued_token_type: ACCESS_TOKEN_TYPE };
      }
      case ACCESS_TOKEN_TYPE: {
        if (!body.requested_actor) throw invalidRequest('requested_actor (the group to act for) is required with an access token subject');
        if (body.audience) throw invalidRequest('audience is not supported when acting for a group: the token keeps the subject token’s audience');
        const issued = await actAsGroup(deps, new TenantTokenVerifier(deps), { slug, userToken: body.subject_token, group: body.requested_actor, channel: 'http' });
        return { access_token: issued.access_token, token_type: 'Bearer', expires_in: issued.expires_in, issued_token_type: issued.issued_token_type };
      }
      default:
        throw invalidRequest(`subject_token_type must be ${AGENT_TOKEN_TYPE} or ${ACCESS_TOKEN_TYPE}`);
    }
  } catch (err) {
    if (isAppError(err)) throw oauthErrorOf(err);
    throw err;
  }
}

/** The services' refusals in RFC 6749 / 8693 terms. */
function oauthErrorOf(err: AppError): OAuthError {
  switch (err.code) {
    case 'unauthorized':
      return invalidGrant(err.message);
    case 'forbidden':
      // An audience the agent does not have (RFC 8693 §2.2.2), or a group the user is not a member of.
      return err.details?.audiences ? new OAuthError('invalid_target', err.message) : invalidGrant(err.message);
    case 'rate_limited':
      return new OAuthError('invalid_request', err.message, 429);
    case 'not_found':
      return invalidRequest(err.message);
    default:
      return invalidRequest(err.message);
  }
}
