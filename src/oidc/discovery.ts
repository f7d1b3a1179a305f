import type { Deps } from '../app/deps.ts';
import { STANDARD_SCOPES, tenantScopes } from '../clients/clients.ts';
import { GRANT_TYPES } from '../clients/tables.ts';
import { SIGNING_ALGS, type Jwks } from '../keys/signing-keys.ts';
import { providerOf } from './provider.ts';

/** Claims a token or userinfo may carry (OIDC Discovery `claims_supported`), all of them really issued. */
export const CLAIMS_SUPPORTED = [
  'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'azp', 'jti', 'client_id', 'scope',
  'email', 'email_verified', 'name', 'tenant', 'actor_type', 'groups', 'can', 'realm_access', 'resource_access',
];

/** GET /t/{slug}/.well-known/openid-configuration: what this tenant really does, and nothing it does not. */
export function openIdConfiguration(deps: Deps, slug: string) {
  const { tenant, issuer, endpoints } = providerOf(deps, slug);
  const scopes = [...new Set([...STANDARD_SCOPES, ...tenantScopes(deps, tenant.id)])];
  return {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    userinfo_endpoint: endpoints.userinfo,
    jwks_uri: endpoints.jwks,
    introspection_endpoint: endpoints.introspection,
    revocation_endpoint: endpoints.revocation,
    end_session_endpoint: endpoints.endSession,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES],
    subject_types_supported: ['public'],
    scopes_supported: scopes,
    claims_supported: CLAIMS_SUPPORTED,
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    id_token_signing_alg_values_supported: [...SIGNING_ALGS],
    userinfo_signing_alg_values_supported: [],
    prompt_values_supported: ['none', 'login'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
    frontchannel_logout_supported: false,
    backchannel_logout_supported: false,
    authorization_response_iss_parameter_supported: true,
  };
}

/** Only this tenant's keys (active and rotated-out, never retired, never another tenant's). */
export function tenantJwks(deps: Deps, slug: string): Jwks {
  const { tenant } = providerOf(deps, slug);
  return deps.keyring.jwks(tenant.id);
}
