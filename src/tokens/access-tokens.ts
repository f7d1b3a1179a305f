import type { KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { JwsError, publicKeysOf, signRs256, verifyRs256 } from './rs256.ts';
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
  const claims = {
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
    iss: deps.config.issuer,
    sub: user.id,
    aud: deps.config.audience,
    iat,
    exp: iat + ttl,
  };
  const accessToken = await signRs256(claims, key.kid, key.privateKey);
  return { accessToken, expiresIn: ttl };
}

/** How far a token's `iat` may lie ahead of this clock, and its lifetime beyond KIMAUTH_ACCESS_TOKEN_TTL. */
export const CLOCK_SKEW_SECONDS = 60;

/** How many verified signatures the verifier remembers (a few MB at most). */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies signature (RS256 only, against the platform JWKS incl. rotated keys), `iss`, `aud`, `exp`, `iat` (at most
 * CLOCK_SKEW_SECONDS ahead) and the lifetime (`exp − iat` at most the configured TTL + skew) with the injected clock.
 * Any failure is 401 unauthorized; revocation and tokenVersion are checked by the caller.
 */
export function createAccessTokenVerifier(deps: Deps) {
  let keysFor: { jwks: object; keys: Map<string, KeyObject> } | undefined;
  /**
   * Signatures already verified, by the exact token string. Clients resend one access token for its whole
   * lifetime, and an RSA verify is most of a Bearer request's cost. Only the signature check is remembered:
   * claims, expiry, the session and tokenVersion are checked on every request. Emptied when the key set changes,
   * so a retired key's tokens stop verifying at once.
   */
  const verified = new Map<string, Record<string, unknown>>();
  const currentKeys = () => {
    const jwks = deps.keyring.jwks(deps.platformTenantId());
    // Public keys are imported once per JWKS object; a rotation or retirement yields a new object.
    if (keysFor?.jwks !== jwks) {
      keysFor = { jwks, keys: publicKeysOf(jwks as { keys: Array<Record<string, unknown>> }) };
      verified.clear();
    }
    return keysFor.keys;
  };
  const verifySignature = (token: string): Record<string, unknown> => {
    const keys = currentKeys();
    const known = verified.get(token);
    if (known) return known;
    let payload: Record<string, unknown>;
    try {
      payload = verifyRs256(token, (kid) => (kid === undefined ? undefined : keys.get(kid))).payload;
    } catch (err) {
      if (err instanceof JwsError) throw new AppError('unauthorized', 'Invalid access token');
      throw err;
    }
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, payload);
    return payload;
  };
  return async function verifyAccessToken(token: string): Promise<AccessClaims> {
    const payload = verifySignature(token);
    const now = deps.clock.nowSeconds();
    const aud = payload.aud;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (
      payload.iss !== deps.config.issuer ||
      !audiences.includes(deps.config.audience) ||
      typeof payload.sub !== 'string' ||
      typeof payload.iat !== 'number' ||
      typeof payload.exp !== 'number' ||
      (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now))
    ) {
      throw new AppError('unauthorized', 'Invalid access token');
    }
    if (payload.exp <= now) {
      verified.delete(token);
      throw new AppError('unauthorized', 'Access token has expired');
    }
    // A real key can still sign a bad token (a leaked key, a signer with a wrong clock): refuse tokens issued in
    // the future or living longer than this instance ever issues them.
    if (payload.iat > now + CLOCK_SKEW_SECONDS || payload.exp - payload.iat > deps.config.accessTokenTtl + CLOCK_SKEW_SECONDS) {
      throw new AppError('unauthorized', 'Invalid access token');
    }
    if (typeof payload.sessionId !== 'string' || typeof payload.tokenVersion !== 'number') {
      throw new AppError('unauthorized', 'Access token is not a kimauth session token');
    }
    return payload as AccessClaims;
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
