import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { signInCandidate, type ClientInfo } from '../identity/login.ts';
import type { LoginThrottle } from '../identity/login-throttle.ts';
import { checkPasswordSignIn, INVALID_CREDENTIALS } from '../identity/password-sign-in.ts';
import { tenantOffersMagicLinks } from '../magic-links/tenant-setting.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';
import type { SignInUser } from '../identity/login-users.ts';
import { proveSecondFactor, secondFactorDue, usableChallenge, type FirstFactor } from '../mfa/sign-in.ts';
import { startTenantSession } from '../sessions/tenant-sessions.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { openAuthorization, type PendingAuthorization } from './authorization-request.ts';
import { enrolmentAnswer } from './hosted-enrolment.ts';
import { passkeySignInForm } from './hosted-passkey.ts';
import { hasPasskey } from '../passkeys/store.ts';
import { issueAuthorizationCode, usableClient } from './authorize.ts';
import { lookOf, pagePolicy, renderLoginPage, renderMessagePage, renderMfaPage, type UpstreamLink } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';
import { CSRF_COOKIE, SSO_COOKIE, cookieHeader, newSsoCookie } from './sso-cookie.ts';
import { selectBranding } from './store.ts';
import { upstreamButtons } from '../upstream-idps/providers.ts';

const USE_YOUR_PASSKEY = 'This workspace asks for a second factor, and your account has a passkey: choose “Use a passkey” to sign in.';

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

export const EXPIRED = 'This sign-in link has expired or is not valid. Go back to the application and start again.';

export function messageAnswer(deps: Deps, provider: Provider, status: number, title: string, message: string, hint?: string): HostedAnswer {
  const branding = selectBranding(deps, provider.tenant.id);
  const look = lookOf(provider.tenant.name, branding);
  return { status, html: renderMessagePage(look, title, message, hint), policy: pagePolicy({ logoUrl: look.logoUrl }), cookies: [] };
}

/** Any page of the tenant that is not the form (error pages of /auth as well). */
export function hostedMessage(deps: Deps, slug: string, status: number, title: string, message: string): HostedAnswer {
  return messageAnswer(deps, providerOf(deps, slug), status, title, message);
}

export function formAnswer(deps: Deps, provider: Provider, sealed: string, redirectUri: string, clientName: string, extra: { status?: number; email?: string; error?: string } = {}): HostedAnswer {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return {
    status: extra.status ?? 200,
    html: renderLoginPage(look, {
      action: provider.endpoints.login,
      request: sealed,
      csrf,
      email: extra.email,
      error: extra.error,
      clientName,
      magicLinkAction: tenantOffersMagicLinks(deps, provider.tenant.id) ? provider.endpoints.loginMagicLink : undefined,
      passkey: passkeySignInForm(deps, provider),
      upstream: upstreamLinks(deps, provider, sealed),
    }),
    policy: pagePolicy({ formTarget: redirectUri, logoUrl: look.logoUrl, scripts: true }),
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
  return afterFirstFactor(deps, caller, provider, pending, app, form.request, user, client, 'password');
}

/**
 * A first factor is proven (password, magic link) for an allowed account: the SSO session and the code now, or the
 * second step the user owes — the code step, or (a tenant requires MFA, the user has none) the enrolment page.
 */
export async function afterFirstFactor(
  deps: Deps,
  caller: Principal,
  provider: Provider,
  pending: PendingAuthorization,
  app: { clientId: string; name: string },
  sealed: string,
  user: SignInUser,
  client: ClientInfo,
  firstFactor: FirstFactor,
): Promise<HostedAnswer> {
  const details = firstFactor === 'password' ? {} : { method: firstFactor };
  const outcome = deps.sqlite.transaction(() => {
    if (!mayEnter(deps, caller, provider, app.clientId, user.id, client)) return null;
    // The second factor, as /auth/login asks it: an enrolled user proves a code before any session starts.
    const due = secondFactorDue(deps, caller, user, client, firstFactor);
    if (due) return { due };
    return startSsoSession(deps, caller, provider, pending, app.clientId, user.id, client, details);
  })();
  if (outcome && 'due' in outcome) {
    if (outcome.due.mfaEnrollmentRequired) {
      // A passkey already is this user's second factor here: sign in with it rather than set up an authenticator app.
      if (hasPasskey(deps, user.id)) return formAnswer(deps, provider, sealed, pending.redirectUri, app.name, { status: 400, email: user.email, error: USE_YOUR_PASSKEY });
      return enrolmentAnswer(deps, caller, provider, sealed, pending.redirectUri, app.name, outcome.due.mfaToken);
    }
    return mfaAnswer(deps, provider, sealed, pending.redirectUri, app.name, outcome.due.mfaToken);
  }
  return entered(deps, provider, pending.redirectUri, outcome);
}

/** Only an active member of an active tenant enters; anyone else is audited as a failed sign-in here. */
export function mayEnter(deps: Deps, caller: Principal, provider: Provider, clientId: string, userId: string, client: ClientInfo): boolean {
  if (provider.tenant.active && activeCompanyRole(deps, userId, provider.tenant.id) !== null) return true;
  deps.audit.append(provider.tenant.id, {
    actor: provenUser(caller, userId),
    type: 'user.sign_in_failed',
    target: { type: 'user', id: userId },
    payload: { userId, reason: 'no_membership', ip: client.ip, client_id: clientId },
  });
  return false;
}

export interface Entered {
  cookie: string;
  location: string;
}

/** Every factor proven (inside the sign-in's transaction): the SSO session, its audit entry, the code for the application. */
export function startSsoSession(
  deps: Deps,
  caller: Principal,
  provider: Provider,
  pending: PendingAuthorization,
  clientId: string,
  userId: string,
  client: ClientInfo,
  details: Record<string, unknown>,
): Entered {
  const now = deps.clock.nowMs();
  const { sessionId } = startTenantSession(
    deps,
    {
      tenantId: provider.tenant.id,
      userId,
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
    actor: provenUser(caller, userId),
    type: 'user.signed_in',
    target: { type: 'user', id: userId },
    payload: { sessionId, authType: 'oidc_sso', client_id: clientId, ip: client.ip, ...details },
  });
  const location = issueAuthorizationCode(deps, provider, pending, { sessionId, userId, authTimeMs: now });
  return { cookie, location };
}

/** The answer once the sign-in is complete: the SSO cookie and a redirect with the code (or why there is no entry). */
export function entered(deps: Deps, provider: Provider, redirectUri: string, outcome: Entered | null): HostedAnswer {
  if (!outcome) {
    return messageAnswer(deps, provider, 403, 'No access to this workspace', `Your account has no access to ${provider.tenant.name}. Ask an administrator of this workspace to add you.`);
  }
  return {
    status: 303,
    location: outcome.location,
    policy: pagePolicy({ formTarget: redirectUri }),
    cookies: [
      cookieHeader(deps, provider.tenant.slug, SSO_COOKIE, outcome.cookie, deps.config.refreshTokenTtl),
      cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, '', 0),
    ],
  };
}

function mfaAnswer(deps: Deps, provider: Provider, sealed: string, redirectUri: string, clientName: string, mfaToken: string, extra: { status?: number; error?: string } = {}): HostedAnswer {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return {
    status: extra.status ?? 200,
    html: renderMfaPage(look, { action: provider.endpoints.loginMfa, request: sealed, csrf, mfaToken, error: extra.error, clientName }),
    policy: pagePolicy({ formTarget: redirectUri, logoUrl: look.logoUrl }),
    cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)],
  };
}

export interface MfaForm {
  request?: string;
  csrf?: string;
  mfa_token?: string;
  code?: string;
  recovery_code?: string;
}

/**
 * POST /t/{slug}/login/mfa: the second step of a hosted sign-in. The same proof as POST /auth/mfa/verify (the
 * mfaToken of the password step, single use, five wrong codes spend it, throttled per user and address), then
 * the SSO session and the code, in the proof's transaction.
 */
export function submitMfa(
  deps: Deps,
  caller: Principal,
  slug: string,
  form: MfaForm,
  csrfCookie: string | undefined,
  client: ClientInfo,
  throttle: LoginThrottle,
): HostedAnswer {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, form.request);
  const app = pending && usableClient(deps, provider, pending.clientId);
  const mfaToken = form.mfa_token ?? '';
  if (!pending || !app || !form.request || !usableChallenge(deps, mfaToken, 'verify')) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) {
    return messageAnswer(deps, provider, 403, 'Sign-in refused', 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  const again = (status: number, error: string) => mfaAnswer(deps, provider, form.request!, pending.redirectUri, app.name, mfaToken, { status, error });
  const code = (form.code ?? '').replace(/\s+/g, '');
  const recoveryCode = (form.recovery_code ?? '').trim();
  if (!code && !recoveryCode) return again(200, 'Enter the code from your authenticator app, or a recovery code.');
  const proof = code ? { mfaToken, code } : { mfaToken, recoveryCode };
  let outcome: Entered | null;
  try {
    outcome = proveSecondFactor(deps, caller, proof, client, throttle, (proven) =>
      mayEnter(deps, caller, provider, app.clientId, proven.user.id, client)
        ? startSsoSession(deps, caller, provider, pending, app.clientId, proven.user.id, client, { mfa: proven.method })
        : null,
    );
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === 'rate_limited') return again(429, 'Too many wrong codes. Wait a few minutes and try again.');
    // A wrong code leaves the step open (up to five tries); after that the sign-in starts over.
    if (err.code === 'unauthorized' && usableChallenge(deps, mfaToken, 'verify')) return again(401, 'That code is not valid. Try again.');
    if (err.code === 'unauthorized') return messageAnswer(deps, provider, 401, 'Sign-in expired', 'Too many wrong codes or the step timed out.', 'Go back to the application and sign in again.');
    return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  }
  return entered(deps, provider, pending.redirectUri, outcome);
}

// ─── Sign-ins whose first factor is proven elsewhere: upstream OpenID providers (src/upstream-idps) ──────────────

/** One link per upstream provider of the tenant, carrying the pending request (plain links: no JavaScript needed). */
function upstreamLinks(deps: Deps, provider: Provider, sealed: string): UpstreamLink[] {
  return upstreamButtons(deps, provider.tenant.id).map((b) => ({
    label: b.label,
    href: `${provider.issuer}/login/upstream/${b.name}?${new URLSearchParams({ request: sealed })}`,
  }));
}

/**
 * The hosted flow once an upstream provider has vouched for `userId`: the same account check, membership check,
 * second factor and SSO session as the password form, in one transaction, then the code for the application.
 * `details` says how in the `user.signed_in` entry (e.g. `{ method: 'upstream_idp', idp: 'google' }`).
 */
export function enterProvenSignIn(
  deps: Deps,
  caller: Principal,
  slug: string,
  sealed: string,
  userId: string,
  client: ClientInfo,
  firstFactor: FirstFactor,
  details: Record<string, unknown>,
): HostedAnswer {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, sealed);
  const app = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !app) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  const outcome = deps.sqlite.transaction(() => {
    const candidate = signInCandidate(deps, caller, userId, client);
    if ('error' in candidate) return { blocked: candidate.error };
    if (!mayEnter(deps, caller, provider, app.clientId, userId, client)) return null;
    const due = secondFactorDue(deps, caller, candidate.user, client, firstFactor);
    if (due) return { due };
    return startSsoSession(deps, caller, provider, pending, app.clientId, userId, client, details);
  })();
  if (outcome && 'blocked' in outcome) {
    return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  }
  if (outcome && 'due' in outcome) {
    if (outcome.due.mfaEnrollmentRequired) {
      return messageAnswer(
        deps,
        provider,
        403,
        'Two-step verification required',
        `${provider.tenant.name} requires two-step verification, and your account has no authenticator yet.`,
        'Set up an authenticator app for your account first (POST /auth/mfa/totp/enroll), then sign in again.',
      );
    }
    return mfaAnswer(deps, provider, sealed, pending.redirectUri, app.name, outcome.due.mfaToken);
  }
  return entered(deps, provider, pending.redirectUri, outcome);
}

/** An error page of the tenant with a hint (the upstream flow's refusals). */
export function hostedRefusal(deps: Deps, slug: string, status: number, title: string, message: string, hint?: string): HostedAnswer {
  return messageAnswer(deps, providerOf(deps, slug), status, title, message, hint);
}
