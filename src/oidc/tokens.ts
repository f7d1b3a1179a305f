import { createHash, randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { buildTenantClaims } from '../claims/tenant-claims.ts';
import type { OAuthClient } from '../clients/clients.ts';
import { signingAlgOf } from '../keys/signing-keys.ts';
import type { SignInUser } from '../identity/login-users.ts';
import { signJws } from '../tokens/tenant-jws.ts';
import type { Provider } from './provider.ts';

/** RFC 9068's media type: an access token is never accepted where an ID token is expected, nor the other way round. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface UserGrant {
  user: Pick<SignInUser, 'id' | 'email' | 'fullName' | 'emailVerified'>;
  sessionId: string;
  scopes: string[];
}

/** A signed access token of one tenant (issue 11 §4): standard claims plus buildTenantClaims. */
export async function issueTenantAccessToken(
  deps: Deps,
  provider: Provider,
  client: OAuthClient,
  grant: UserGrant | { scopes: string[] },
): Promise<{ accessToken: string; expiresIn: number }> {
  const key = deps.keyring.active(provider.tenant.id);
  const iat = deps.clock.nowSeconds();
  const ttl = client.accessTokenTtl;
  const user = 'user' in grant ? grant : undefined;
  const tenantClaims = buildTenantClaims(deps, {
    tenant: { id: provider.tenant.id, slug: provider.tenant.slug },
    subject: user ? { type: 'user', id: user.user.id } : { type: 'client', id: client.clientId },
    clientId: client.clientId,
    scopes: grant.scopes,
    profile: user ? { email: user.user.email, emailVerified: user.user.emailVerified, name: user.user.fullName } : undefined,
  });
  const claims = {
    iss: provider.issuer,
    sub: user ? user.user.id : client.clientId,
    aud: client.clientId,
    exp: iat + ttl,
    iat,
    jti: randomUUID(),
    client_id: client.clientId,
    scope: grant.scopes.join(' '),
    ...(user ? { sid: user.sessionId } : {}),
    ...tenantClaims,
  };
  return { accessToken: await signJws(claims, key, ACCESS_TOKEN_TYP), expiresIn: ttl };
}

/** OIDC Core §3.1.3.6: the left half of the hash of the access token, with the hash of the signing alg. */
export function accessTokenHash(accessToken: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenInput {
  user: Pick<SignInUser, 'id' | 'email' | 'fullName' | 'emailVerified'>;
  sessionId: string;
  scopes: string[];
  authTimeMs: number;
  nonce: string | null;
  accessToken: string;
}

/** The ID token (OIDC Core §2): auth_time, nonce, at_hash, sid, azp; profile and email claims by scope. */
export async function issueIdToken(deps: Deps, provider: Provider, client: OAuthClient, input: IdTokenInput): Promise<string> {
  const key = deps.keyring.active(provider.tenant.id);
  const iat = deps.clock.nowSeconds();
  const claims: Record<string, unknown> = {
    iss: provider.issuer,
    sub: input.user.id,
    aud: client.clientId,
    azp: client.clientId,
    exp: iat + client.accessTokenTtl,
    iat,
    auth_time: Math.floor(input.authTimeMs / 1000),
    ...(input.nonce ? { nonce: input.nonce } : {}),
    at_hash: accessTokenHash(input.accessToken, signingAlgOf(key.privateKey)),
    sid: input.sessionId,
    tenant: provider.tenant.slug,
  };
  if (input.scopes.includes('email')) {
    claims.email = input.user.email;
    claims.email_verified = input.user.emailVerified;
  }
  if (input.scopes.includes('profile')) claims.name = input.user.fullName;
  return signJws(claims, key, 'JWT');
}
