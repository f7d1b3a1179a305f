import { SignJWT, jwtVerify, createLocalJWKSet, errors as joseErrors, type JWTPayload } from 'jose';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import type { GlobalRole, UserRow } from '../identity/tables.ts';

/** Legacy `roles` string derived from globalRole (seed 002 §8.4). */
export const LEGACY_ROLE: Record<GlobalRole, string> = {
  PLATFORM_SUPERADMIN: 'Admin',
  PLATFORM_ADMIN: 'PlatformAdmin',
  PLATFORM_MODERATOR: 'PlatformModerator',
  NONE: 'User',
};

/** The claims of seed 002 §8.2–§8.3, exactly; no `nbf`. */
export interface AccessClaims extends JWTPayload {
  id: string;
  email: string;
  name: string;
  sessionId: string;
  authType: string;
  globalRole: GlobalRole;
  roles: string;
  isVendor: boolean;
  vendorId: string | null;
  tokenVersion: number;
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

type TokenUser = Pick<UserRow, 'id' | 'email' | 'fullName' | 'globalRole' | 'tokenVersion'>;

/** Signs a platform access token with the `master` tenant's active key. */
export async function issueAccessToken(
  deps: Deps,
  user: TokenUser,
  session: { id: string; authType: string },
): Promise<IssuedAccessToken> {
  const key = deps.keyring.active(deps.platformTenantId());
  const iat = deps.clock.nowSeconds();
  const ttl = deps.config.accessTokenTtl;
  const accessToken = await new SignJWT({
    id: user.id,
    email: user.email,
    name: user.fullName,
    sessionId: session.id,
    authType: session.authType,
    globalRole: user.globalRole,
    roles: LEGACY_ROLE[user.globalRole],
    isVendor: false,
    vendorId: null,
    tokenVersion: user.tokenVersion,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(deps.config.issuer)
    .setSubject(user.id)
    .setAudience(deps.config.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key.privateKey);
  return { accessToken, expiresIn: ttl };
}

/**
 * Verifies signature (RS256 only, against the platform JWKS incl. rotated keys), `iss`, `aud` and `exp` with the
 * injected clock. Any failure is 401 unauthorized; revocation and tokenVersion are checked by the caller.
 */
export function createAccessTokenVerifier(deps: Deps) {
  let resolverFor: { jwks: object; resolve: ReturnType<typeof createLocalJWKSet> } | undefined;
  const resolver = () => {
    const jwks = deps.keyring.jwks(deps.platformTenantId());
    // Imported public keys are cached per JWKS object; a rotation yields a new object.
    if (resolverFor?.jwks !== jwks) resolverFor = { jwks, resolve: createLocalJWKSet(jwks) };
    return resolverFor.resolve;
  };
  return async function verifyAccessToken(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, resolver(), {
        algorithms: ['RS256'],
        issuer: deps.config.issuer,
        audience: deps.config.audience,
        currentDate: deps.clock.now(),
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      if (typeof payload.sessionId !== 'string' || typeof payload.tokenVersion !== 'number') {
        throw new AppError('unauthorized', 'Access token is not a kimauth session token');
      }
      return payload as AccessClaims;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new AppError('unauthorized', expired ? 'Access token has expired' : 'Invalid access token');
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** What login and refresh answer (seed 002 §4.2 / §4.3). */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

export async function issueTokenPair(
  deps: Deps,
  user: TokenUser,
  session: { id: string; authType: string },
  refreshToken: string,
): Promise<TokenPair> {
  const { accessToken, expiresIn } = await issueAccessToken(deps, user, session);
  return { accessToken, refreshToken, expiresIn, tokenType: 'Bearer' };
}
