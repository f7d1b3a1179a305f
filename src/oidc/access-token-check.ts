import type { Deps } from '../app/deps.ts';
import { findClient } from '../clients/clients.ts';
import { tenantSessionState, type TenantSessionState } from '../sessions/tenant-sessions.ts';
import { CLOCK_SKEW_SECONDS } from '../tokens/access-tokens.ts';
import { verifyJws, TokenSignatureError } from '../tokens/tenant-jws.ts';
import type { Provider } from './provider.ts';
import { isAccessTokenRevoked } from './store.ts';
import { ACCESS_TOKEN_TYP } from './tokens.ts';
import { userMayUseTenant } from './user-access.ts';

export interface CheckedAccessToken {
  claims: Record<string, unknown> & { sub: string; client_id: string; scope: string; exp: number; iat: number; jti: string; sid?: string };
  session?: TenantSessionState;
}

/**
 * An access token of this tenant that still works: signature by one of its keys (RS256/ES256/EdDSA only), typ
 * at+jwt, this issuer, not expired or revoked, its client enabled, and for a user token its session live and its
 * user still an active member. Returns null for anything else (callers answer invalid_token or active: false).
 */
export function checkAccessToken(deps: Deps, provider: Provider, token: string): CheckedAccessToken | null {
  if (!provider.tenant.active || token.length > 16_384) return null;
  let verified;
  try {
    verified = verifyJws(token, deps.keyring.jwks(provider.tenant.id));
  } catch (err) {
    if (err instanceof TokenSignatureError) return null;
    throw err;
  }
  const { header, payload: c } = verified;
  const now = deps.clock.nowSeconds();
  if (header.typ !== ACCESS_TOKEN_TYP || c.iss !== provider.issuer || c.tenant !== provider.tenant.slug) return null;
  if (typeof c.sub !== 'string' || typeof c.client_id !== 'string' || typeof c.jti !== 'string' || typeof c.scope !== 'string') return null;
  if (typeof c.exp !== 'number' || typeof c.iat !== 'number' || c.exp <= now || c.iat > now + CLOCK_SKEW_SECONDS) return null;
  const client = findClient(deps, provider.tenant.id, c.client_id);
  if (!client || !client.enabled || isAccessTokenRevoked(deps, c.jti)) return null;
  const claims = c as CheckedAccessToken['claims'];
  if (c.actor_type === 'client') return c.sub === c.client_id ? { claims } : null;
  if (typeof c.sid !== 'string') return null;
  const session = tenantSessionState(deps, c.sid);
  if (!session || !session.live || session.tenantId !== provider.tenant.id || session.clientId !== c.client_id || session.user.id !== c.sub) return null;
  if (!userMayUseTenant(deps, session.user, provider.tenant.id)) return null;
  return { claims, session };
}

/** The JWS header's claims without verifying (to tell an access token from an opaque refresh token). */
export function looksLikeJws(token: string): boolean {
  return token.split('.').length === 3;
}
