import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { emailFingerprint, type ClientInfo } from '../identity/login.ts';
import type { FirstFactor } from '../mfa/sign-in.ts';
import { openSealedText } from '../keys/master-key.ts';
import { openAuthorization } from '../oidc/authorization-request.ts';
import { usableClient } from '../oidc/authorize.ts';
import { enterProvenSignIn, hostedRefusal, type HostedAnswer } from '../oidc/hosted-login.ts';
import { providerOf } from '../oidc/provider.ts';
import { cookieHeader } from '../oidc/sso-cookie.ts';
import { hashOpaqueToken, sameSecret } from '../tokens/opaque-tokens.ts';
import { resolveUpstreamUser, type UpstreamClaims } from './accounts.ts';
import { callbackUrl, findUpstreamIdp } from './providers.ts';
import { takeSignIn } from './store.ts';
import type { UpstreamIdpRow } from './tables.ts';
import { unavailable, UPSTREAM_STATE_COOKIE, verifierContext } from './sign-in-start.ts';

/**
 * How the MFA step and the `user.signed_in` entry name this first factor. src/mfa's FirstFactor names only
 * password and magic_link so far; the challenge stores it as text and only reports it.
 */
const UPSTREAM_FIRST_FACTOR = 'upstream_idp' as FirstFactor;

const STARTED_ELSEWHERE =
  'This answer from the sign-in provider does not belong to a sign-in started in this browser, or it was already used.';

/** Network failures and timeouts: the provider is down, not the user's answer wrong. */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  // An upstream 5xx on the token endpoint or the JWKS.
  const status = (err as { cause?: { status?: unknown } }).cause?.status;
  return (err as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && typeof status === 'number' && status >= 500;
}

function auditRefusal(deps: Deps, caller: Principal, idp: UpstreamIdpRow, client: ClientInfo, reason: string, extra: Record<string, unknown> = {}): void {
  deps.sqlite.transaction(() => {
    deps.audit.append(idp.tenant_id, {
      actor: caller,
      type: 'user.sign_in_failed',
      target: typeof extra.userId === 'string' ? { type: 'user', id: extra.userId } : null,
      payload: { reason, idp: idp.name, ip: client.ip, ...extra },
    });
  })();
}

/**
 * GET /t/{slug}/login/upstream/{name}/callback: the provider's answer. The state must equal this browser's cookie and
 * name a pending sign-in of this provider (spent on first use); openid-client then redeems the code with the PKCE
 * verifier and verifies the ID token (signature against the provider's JWKS, iss, aud, exp, nonce). The user is found
 * or made by accounts.ts, and the hosted flow continues as after a password (membership, MFA, SSO session, code).
 */
export async function finishUpstreamSignIn(
  deps: Deps,
  caller: Principal,
  slug: string,
  idpName: string,
  query: string,
  stateCookie: string | undefined,
  client: ClientInfo,
): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const idp = findUpstreamIdp(deps, provider.tenant.id, idpName);
  if (!idp) return hostedRefusal(deps, slug, 404, 'Sign-in option not available', `${provider.tenant.name} has no sign-in provider named "${idpName}".`);
  const answer = new URL(callbackUrl(deps, provider.tenant.slug, idp.name));
  answer.search = query;
  const clearCookie = cookieHeader(deps, provider.tenant.slug, UPSTREAM_STATE_COOKIE, '', 0);
  const withCleared = (a: HostedAnswer): HostedAnswer => ({ ...a, cookies: [...a.cookies, clearCookie] });

  const state = answer.searchParams.get('state') ?? '';
  if (!state || !stateCookie || state.length > 200 || !sameSecret(state, stateCookie)) {
    return withCleared(hostedRefusal(deps, slug, 400, 'Sign-in could not be completed', STARTED_ELSEWHERE, 'Go back to the application and sign in again.'));
  }
  const stateHash = hashOpaqueToken(state);
  const pending = deps.sqlite.transaction(() => takeSignIn(deps, stateHash))();
  if (!pending || pending.idp_id !== idp.id || pending.expires_at <= deps.clock.nowMs()) {
    return withCleared(hostedRefusal(deps, slug, 400, 'Sign-in could not be completed', STARTED_ELSEWHERE, 'Go back to the application and sign in again.'));
  }

  // The application's request must still be good before anyone is linked or made (it lives 10 minutes).
  const request = openAuthorization(deps, provider.tenant.id, pending.request);
  if (!request || !usableClient(deps, provider, request.clientId)) {
    return withCleared(hostedRefusal(deps, slug, 400, 'Sign-in link expired', 'This sign-in took too long or the application is no longer available. Go back to the application and start again.'));
  }

  const oidc = await import('openid-client');
  let claims: UpstreamClaims | undefined;
  try {
    const config = await deps.upstreamClients.configuration(deps, idp);
    const tokens = await oidc.authorizationCodeGrant(config, answer, {
      pkceCodeVerifier: openSealedText(deps.masterKeys, pending.code_verifier_sealed, verifierContext(stateHash)),
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    claims = tokens.claims() as UpstreamClaims | undefined;
    // Providers that conform strictly (OIDC Core §5.4) put the email only in userinfo when an access token is
    // issued: ask it, bound to the ID token's subject (openid-client refuses another sub).
    if (claims && typeof claims.email !== 'string' && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      claims = { ...claims, email: info.email, email_verified: info.email_verified, name: claims.name ?? info.name };
    }
  } catch (err) {
    if (err instanceof oidc.AuthorizationResponseError) {
      // The user cancelled at the provider, or the provider refused the request.
      return withCleared(
        hostedRefusal(deps, slug, 401, 'Sign-in cancelled', `${idp.display_name} did not sign you in (${err.error}).`, 'Go back to the application and try again, or sign in another way.'),
      );
    }
    if (isUnreachable(err)) return withCleared(unavailable(deps, slug, idp, err));
    const code = (err as { code?: unknown }).code;
    // What was wrong, e.g. "JWT signature verification failed" (openid-client's cause; never token material).
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
    auditRefusal(deps, caller, idp, client, 'upstream_token_invalid', { error: typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown', detail: cause.slice(0, 200) });
    deps.logger.warn({ idp: idp.name, error: err instanceof Error ? err.message : String(err) }, 'upstream sign-in refused: the answer could not be verified');
    return withCleared(
      hostedRefusal(
        deps,
        slug,
        401,
        'Sign-in could not be verified',
        `The answer from ${idp.display_name} could not be verified, so you are not signed in.`,
        'Go back to the application and sign in again. If this keeps happening, tell your administrator.',
      ),
    );
  }
  if (!claims || typeof claims.sub !== 'string' || !claims.sub) {
    auditRefusal(deps, caller, idp, client, 'upstream_token_invalid', { error: 'no_subject' });
    return withCleared(hostedRefusal(deps, slug, 401, 'Sign-in could not be verified', `${idp.display_name} did not say who you are.`));
  }

  const resolved = await resolveUpstreamUser(deps, caller, idp, claims, provider.tenant.name);
  if (resolved.refused) {
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
    auditRefusal(deps, caller, idp, client, resolved.reason, email ? { emailHash: emailFingerprint(email) } : {});
    return withCleared(hostedRefusal(deps, slug, 403, resolved.title, resolved.message, resolved.hint));
  }
  return withCleared(
    enterProvenSignIn(deps, caller, slug, pending.request, resolved.userId, client, UPSTREAM_FIRST_FACTOR, {
      method: 'upstream_idp',
      idp: idp.name,
      via: resolved.via,
    }),
  );
}
