import type { Deps } from '../app/deps.ts';
import type { Channel } from '../audit/audit-log.ts';
import { clientPrincipal, type ClientPrincipal } from '../authorization/principal.ts';
import { findClient } from '../clients/clients.ts';
import { checkAccessToken, looksLikeJws } from '../oidc/access-token-check.ts';
import { providerOf } from '../oidc/provider.ts';
import { namesKeyOf } from '../tokens/tenant-jws.ts';

/** What a client's own token may ask: the authorization check, nothing else of the tenant API. */
const RESOURCE_SERVER_SCOPES = ['authorize:read'] as const;

/**
 * Issue 16 §5: a resource server may call the authorization check with a client-credentials access token of one of
 * the tenant's confidential clients (live: signed by the tenant, not expired or revoked, the client enabled). Its
 * principal is bound to the tenant and to `authorize:read`; null for any other token (other callers authenticate
 * as usual: API keys, platform staff).
 */
export function resourceServerCallerOf(deps: Deps, slug: string, token: string, channel: Channel): ClientPrincipal | null {
  // A platform access token (the usual caller) is told apart by its key before the tenant is even looked up.
  if (namesKeyOf(token, deps.keyring.jwks(deps.platformTenantId())) || !looksLikeJws(token)) return null;
  const provider = providerOf(deps, slug);
  // Most callers send a platform token or a member's: only a token under one of this tenant's keys is looked at.
  if (!namesKeyOf(token, deps.keyring.jwks(provider.tenant.id))) return null;
  const checked = checkAccessToken(deps, provider, token);
  if (!checked || checked.claims.actor_type !== 'client') return null;
  const client = findClient(deps, provider.tenant.id, checked.claims.client_id);
  if (!client || client.clientType !== 'confidential') return null;
  return clientPrincipal({ clientId: client.clientId, tenantId: provider.tenant.id }, RESOURCE_SERVER_SCOPES, channel);
}
