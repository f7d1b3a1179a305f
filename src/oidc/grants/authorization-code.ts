import { createHash } from 'node:crypto';
import type { Deps } from '../../app/deps.ts';
import type { Principal } from '../../authorization/principal.ts';
import type { OAuthClient } from '../../clients/clients.ts';
import { revokeTenantSession, startTenantSession, tenantSessionState } from '../../sessions/tenant-sessions.ts';
import { hashOpaqueToken } from '../../tokens/opaque-tokens.ts';
import type { FormBody } from '../client-auth.ts';
import { invalidGrant, invalidRequest, OAuthError } from '../errors.ts';
import type { Provider } from '../provider.ts';
import { markAuthorizationCodeUsed, selectAuthorizationCode, spendAuthorizationCode } from '../store.ts';
import { issueIdToken, issueTenantAccessToken } from '../tokens.ts';
import type { TokenResponse } from '../token-response.ts';
import { parseScope } from '../scopes.ts';
import { userMayUseTenant } from '../user-access.ts';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function pkceChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6). A code is single-use, valid 60 s and bound to
 * its client, redirect URI and PKCE challenge; a code presented again revokes what it issued (§4.1.2).
 */
export async function authorizationCodeGrant(deps: Deps, caller: Principal, provider: Provider, client: OAuthClient, body: FormBody): Promise<TokenResponse> {
  if (!client.grantTypes.includes('authorization_code')) throw new OAuthError('unauthorized_client', 'This client may not use authorization_code');
  if (!body.code) throw invalidRequest('code is required');
  if (!body.redirect_uri) throw invalidRequest('redirect_uri is required');
  const codeHash = hashOpaqueToken(body.code);
  const outcome = deps.sqlite.transaction(() => {
    const code = selectAuthorizationCode(deps, codeHash);
    if (!code || code.tenantId !== provider.tenant.id) return invalidGrant('Invalid authorization code');
    if (code.clientId !== client.clientId) return invalidGrant('This code was issued to another client');
    if (code.usedAtMs !== null) {
      // RFC 6749 §4.1.2: replay → what the code issued is revoked.
      if (code.grantSessionId) revokeTenantSession(deps, code.grantSessionId, 'authorization_code_replay', caller);
      return invalidGrant('Authorization code was already used; the tokens it issued have been revoked');
    }
    if (code.expiresAtMs <= deps.clock.nowMs()) return invalidGrant('Authorization code has expired');
    if (code.redirectUri !== body.redirect_uri) return invalidGrant('redirect_uri does not match the authorization request');
    if (code.codeChallenge) {
      if (!body.code_verifier || !VERIFIER.test(body.code_verifier) || pkceChallengeOf(body.code_verifier) !== code.codeChallenge) {
        markAuthorizationCodeUsed(deps, codeHash);
        return invalidGrant('PKCE verification failed (code_verifier)');
      }
    } else if (body.code_verifier !== undefined) {
      return invalidGrant('No code_challenge was sent with the authorization request');
    }
    const sso = tenantSessionState(deps, code.ssoSessionId);
    if (!sso || !sso.live || !userMayUseTenant(deps, sso.user, provider.tenant.id)) {
      markAuthorizationCodeUsed(deps, codeHash);
      return invalidGrant('The sign-in session has ended');
    }
    const scopes = parseScope(code.scope);
    const offline = scopes.includes('offline_access');
    const now = deps.clock.nowMs();
    const ownEnd = now + client.refreshTokenTtl * 1000;
    const grant = startTenantSession(
      deps,
      {
        tenantId: provider.tenant.id,
        userId: code.userId,
        clientId: client.clientId,
        parentSessionId: offline ? null : code.ssoSessionId,
        authTimeMs: code.authTimeMs,
        scope: code.scope,
        expiresAtMs: offline ? ownEnd : Math.min(ownEnd, sso.expiresAtMs),
        authType: 'oidc',
      },
      client.grantTypes.includes('refresh_token'),
    );
    if (!spendAuthorizationCode(deps, codeHash, grant.sessionId)) return invalidGrant('Authorization code was already used');
    return { code, scopes, user: sso.user, grant };
  })();
  if (outcome instanceof OAuthError) throw outcome;
  const { code, scopes, user, grant } = outcome;
  const { accessToken, expiresIn } = await issueTenantAccessToken(deps, provider, client, { user, sessionId: grant.sessionId, scopes });
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') };
  if (grant.refreshToken) response.refresh_token = grant.refreshToken;
  if (scopes.includes('openid')) {
    response.id_token = await issueIdToken(deps, provider, client, {
      user,
      sessionId: grant.sessionId,
      scopes,
      authTimeMs: code.authTimeMs,
      nonce: code.nonce,
      accessToken,
    });
  }
  return response;
}
