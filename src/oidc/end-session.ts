import type { Deps } from '../app/deps.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { findClient } from '../clients/clients.ts';
import { revokeTenantSession, tenantSessionState } from '../sessions/tenant-sessions.ts';
import { redirectTo } from './authorize.ts';
import { hostedMessage, type HostedAnswer } from './hosted-login.ts';
import { verifyJws } from '../tokens/tenant-jws.ts';
import { providerOf, type Provider } from './provider.ts';
import { cookieHeader, CSRF_COOKIE, SSO_COOKIE, ssoSessionIdOf } from './sso-cookie.ts';
import { deleteBrowserSessions, selectBranding } from './store.ts';
import { randomBytes } from 'node:crypto';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { lookOf, pagePolicy, renderLogoutConfirmation } from './pages.ts';

export interface EndSessionParams {
  id_token_hint?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  client_id?: string;
  /** The confirmation form's answer (a request without an ID token hint asks the user first). */
  confirm?: string;
  csrf?: string;
}

/** The ID token hint's claims, when this tenant signed it (an expired one still names its session and client). */
function hintClaims(deps: Deps, provider: Provider, hint: string | undefined): Record<string, unknown> | null {
  if (!hint) return null;
  try {
    const { header, payload } = verifyJws(hint, deps.keyring.jwks(provider.tenant.id));
    if (header.typ !== 'JWT' || payload.iss !== provider.issuer) return null;
    return payload;
  } catch {
    return null;
  }
}

/**
 * GET/POST /t/{slug}/protocol/openid-connect/logout (OIDC RP-Initiated Logout 1.0). Ends the SSO session (the
 * cookie's, or the one the id_token_hint's grant hangs off; without a hint only after the user confirmed) and every grant session of it; returns to
 * `post_logout_redirect_uri` only when it is registered for the client the hint (or client_id) names — anything
 * else gets the signed-out page, never an open redirect.
 */
export function endSession(
  deps: Deps,
  caller: Principal,
  slug: string,
  params: EndSessionParams,
  cookies: { sso?: string; csrf?: string },
  method: 'GET' | 'POST' = 'GET',
): HostedAnswer {
  const ssoCookie = cookies.sso;
  const provider = providerOf(deps, slug);
  const hint = hintClaims(deps, provider, params.id_token_hint);
  // Without proof that the application asks (an ID token hint), the user confirms with a CSRF-protected form, so a
  // link on another site cannot sign anyone out.
  const confirmed = method === 'POST' && params.confirm === 'yes' && !!params.csrf && !!cookies.csrf && sameSecret(params.csrf, cookies.csrf);
  if (!hint && !confirmed) {
    const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
    const csrf = randomBytes(32).toString('base64url');
    return {
      status: 200,
      html: renderLogoutConfirmation(look, {
        action: provider.endpoints.endSession,
        csrf,
        clientId: params.client_id,
        postLogoutRedirectUri: params.post_logout_redirect_uri,
        state: params.state,
      }),
      policy: pagePolicy({ formTarget: params.post_logout_redirect_uri, logoUrl: look.logoUrl }),
      cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)],
    };
  }
  const hintAud = hint ? (Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
  const clientId = typeof hintAud === 'string' ? hintAud : params.client_id;
  if (hint && params.client_id && params.client_id !== hintAud) {
    return hostedMessage(deps, slug, 400, 'Sign-out refused', 'The sign-out request names two different applications.');
  }
  const client = clientId ? findClient(deps, provider.tenant.id, clientId) : undefined;

  const ended = deps.sqlite.transaction(() => {
    const targets = new Set<string>();
    const cookieSession = ssoSessionIdOf(deps, provider.tenant.id, ssoCookie);
    if (cookieSession) targets.add(cookieSession);
    if (hint && typeof hint.sid === 'string') {
      const grant = tenantSessionState(deps, hint.sid);
      if (grant && grant.tenantId === provider.tenant.id) targets.add(grant.parentSessionId ?? grant.sessionId);
    }
    let userId: string | null = null;
    for (const sessionId of targets) {
      const state = tenantSessionState(deps, sessionId);
      if (!state || state.tenantId !== provider.tenant.id) continue;
      userId = state.user.id;
      revokeTenantSession(deps, sessionId, 'logout', caller);
      deleteBrowserSessions(deps, sessionId);
      deps.audit.append(provider.tenant.id, {
        actor: provenUser(caller, state.user.id),
        type: 'user.signed_out',
        target: { type: 'user', id: state.user.id },
        payload: { sessionId, client_id: client?.clientId ?? null },
      });
    }
    return userId !== null;
  })();
  const clearCookie = cookieHeader(deps, provider.tenant.slug, SSO_COOKIE, '', 0);
  const target = params.post_logout_redirect_uri;
  if (target && client && client.enabled && client.postLogoutRedirectUris.includes(target)) {
    return { status: 303, location: redirectTo(target, { state: params.state }), policy: "default-src 'none'", cookies: [clearCookie] };
  }
  const page = hostedMessage(
    deps,
    slug,
    target ? 400 : 200,
    target ? 'Signed out' : 'Signed out',
    target
      ? 'You have been signed out. The application asked to send you to an address that is not registered for it, so you stay here.'
      : ended
        ? 'You have been signed out of this workspace.'
        : 'You are signed out of this workspace.',
  );
  return { ...page, cookies: [clearCookie] };
}
