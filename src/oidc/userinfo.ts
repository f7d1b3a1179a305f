import type { Deps } from '../app/deps.ts';
import { checkAccessToken } from './access-token-check.ts';
import { invalidToken, OAuthError } from './errors.ts';
import { providerOf } from './provider.ts';
import { parseScope } from './scopes.ts';

/** GET/POST /t/{slug}/protocol/openid-connect/userinfo (OIDC Core §5.3): claims by the token's scopes. */
export function userinfo(deps: Deps, slug: string, accessToken: string | undefined): Record<string, unknown> {
  const provider = providerOf(deps, slug);
  if (!accessToken) throw new OAuthError('invalid_request', 'A Bearer access token is required', 401);
  const checked = checkAccessToken(deps, provider, accessToken);
  if (!checked || !checked.session) throw invalidToken();
  const scopes = parseScope(checked.claims.scope);
  if (!scopes.includes('openid')) throw new OAuthError('invalid_token', 'The access token was not issued for openid', 403);
  const user = checked.session.user;
  return {
    sub: user.id,
    ...(scopes.includes('email') ? { email: user.email, email_verified: user.emailVerified } : {}),
    ...(scopes.includes('profile') ? { name: user.fullName } : {}),
    tenant: provider.tenant.slug,
  };
}
