import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import type { ClientInfo } from '../identity/login.ts';
import type { LoginThrottle } from '../identity/login-throttle.ts';
import { checkPasswordSignIn, INVALID_CREDENTIALS } from '../identity/password-sign-in.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';
import { startTenantSession } from '../sessions/tenant-sessions.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { openAuthorization } from './authorization-request.ts';
import { issueAuthorizationCode, usableClient } from './authorize.ts';
import { lookOf, pagePolicy, renderLoginPage, renderMessagePage } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';
import { CSRF_COOKIE, SSO_COOKIE, cookieHeader, newSsoCookie } from './sso-cookie.ts';
import { selectBranding } from './store.ts';

/** What the hosted page answers: HTML (with its CSP and cookies) or a redirect back to the application. */
export interface HostedAnswer {
  status: number;
  html?: string;
  location?: string;
  policy: string;
  cookies: string[];
}

export interface LoginForm {
  request?: string;
  csrf?: string;
  email?: string;
  password?: string;
}

const EXPIRED = 'This sign-in link has expired or is not valid. Go back to the application and start again.';

function messageAnswer(deps: Deps, provider: Provider, status: number, title: string, message: string, hint?: string): HostedAnswer {
  const branding = selectBranding(deps, provider.tenant.id);
  const look = lookOf(provider.tenant.name, branding);
  return { status, html: renderMessagePage(look, title, message, hint), policy: pagePolicy({ logoUrl: look.logoUrl }), cookies: [] };
}

/** Any page of the tenant that is not the form (error pages of /auth as well). */
export function hostedMessage(deps: Deps, slug: string, status: number, title: string, message: string): HostedAnswer {
  return messageAnswer(deps, providerOf(deps, slug), status, title, message);
}

function formAnswer(deps: Deps, provider: Provider, sealed: string, redirectUri: string, clientName: string, extra: { status?: number; email?: string; error?: string } = {}): HostedAnswer {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return {
    status: extra.status ?? 200,
    html: renderLoginPage(look, { action: provider.endpoints.login, request: sealed, csrf, email: extra.email, error: extra.error, clientName }),
    policy: pagePolicy({ formTarget: redirectUri, logoUrl: look.logoUrl }),
    cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)],
  };
}

/** GET /t/{slug}/login?request=…: the sign-in form for a pending authorization request. */
export function loginPage(deps: Deps, slug: string, sealed: string | undefined): HostedAnswer {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, sealed);
  const client = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !client || !sealed) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  return formAnswer(deps, provider, sealed, pending.redirectUri, client.name);
}

/**
 * POST /t/{slug}/login: CSRF check (the form's token must equal its SameSite cookie), the password check of
 * /auth/login (throttle, argon2id, audit in this tenant's chain with the client_id), then only an active member
 * of an active tenant gets an SSO session, the per-tenant cookie and a code at the application's redirect URI.
 */
export async function submitLogin(
  deps: Deps,
  caller: Principal,
  slug: string,
  form: LoginForm,
  csrfCookie: string | undefined,
  client: ClientInfo,
  throttle: LoginThrottle,
): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, form.request);
  const app = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !app || !form.request) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) {
    return messageAnswer(deps, provider, 403, 'Sign-in refused', 'The sign-in form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  const email = (form.email ?? '').slice(0, 320);
  const again = (status: number, error: string) => formAnswer(deps, provider, form.request!, pending.redirectUri, app.name, { status, email, error });
  if (!email || !form.password) return again(200, 'Enter your email address and password.');
  const audit = { auditTenantId: provider.tenant.id, auditPayload: { client_id: app.clientId } };
  let user;
  try {
    user = await checkPasswordSignIn(deps, caller, { email, password: form.password }, client, throttle, audit);
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === 'unauthorized') return again(401, INVALID_CREDENTIALS);
    if (err.code === 'rate_limited') return again(429, 'Too many failed attempts. Wait a few minutes and try again.');
    return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  }
  const now = deps.clock.nowMs();
  const outcome = deps.sqlite.transaction(() => {
    if (!provider.tenant.active || activeCompanyRole(deps, user.id, provider.tenant.id) === null) {
      deps.audit.append(provider.tenant.id, {
        actor: provenUser(caller, user.id),
        type: 'user.sign_in_failed',
        target: { type: 'user', id: user.id },
        payload: { userId: user.id, reason: 'no_membership', ip: client.ip, client_id: app.clientId },
      });
      return null;
    }
    const { sessionId } = startTenantSession(
      deps,
      {
        tenantId: provider.tenant.id,
        userId: user.id,
        authTimeMs: now,
        expiresAtMs: now + deps.config.refreshTokenTtl * 1000,
        authType: 'oidc_sso',
        ip: client.ip,
        userAgent: client.userAgent,
      },
      false,
    );
    const cookie = newSsoCookie(deps, provider.tenant.id, sessionId);
    deps.audit.append(provider.tenant.id, {
      actor: provenUser(caller, user.id),
      type: 'user.signed_in',
      target: { type: 'user', id: user.id },
      payload: { sessionId, authType: 'oidc_sso', client_id: app.clientId, ip: client.ip },
    });
    const location = issueAuthorizationCode(deps, provider, pending, { sessionId, userId: user.id, authTimeMs: now });
    return { cookie, location };
  })();
  if (!outcome) {
    return messageAnswer(deps, provider, 403, 'No access to this workspace', `Your account has no access to ${provider.tenant.name}. Ask an administrator of this workspace to add you.`);
  }
  return {
    status: 303,
    location: outcome.location,
    policy: pagePolicy({ formTarget: pending.redirectUri }),
    cookies: [
      cookieHeader(deps, provider.tenant.slug, SSO_COOKIE, outcome.cookie, deps.config.refreshTokenTtl),
      cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, '', 0),
    ],
  };
}
