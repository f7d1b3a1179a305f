import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import type { ClientInfo } from '../identity/login.ts';
import type { LoginThrottle } from '../identity/login-throttle.ts';
import { confirmTotpForHostedSignIn, enrollTotp, pendingTotpEnrollment, type TotpEnrollment } from '../mfa/enrollment.ts';
import { usableChallenge } from '../mfa/sign-in.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { openAuthorization } from './authorization-request.ts';
import { issueAuthorizationCode, liveSso, usableClient } from './authorize.ts';
import { EXPIRED, entered, mayEnter, messageAnswer, startSsoSession, type Entered, type HostedAnswer } from './hosted-login.ts';
import { lookOf, pagePolicy, renderMfaEnrolPage, renderRecoveryCodesPage } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';
import { CSRF_COOKIE, SSO_COOKIE, cookieHeader } from './sso-cookie.ts';
import { selectBranding } from './store.ts';

/**
 * Hosted TOTP enrolment on first sign-in (issue 13 §1): a tenant requires MFA, the user has none. The password (or
 * magic link) earned an enrolment mfaToken; this page shows the authenticator (QR data URL and the key in text),
 * confirms it with a code through the same src/mfa services as /auth/mfa/totp/enroll|confirm, starts the SSO
 * session in the confirmation's transaction, shows the recovery codes once, and then goes on to the application.
 */

function enrolPage(deps: Deps, provider: Provider, sealed: string, redirectUri: string, clientName: string, mfaToken: string, enrolment: TotpEnrollment, extra: { status?: number; error?: string } = {}): HostedAnswer {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return {
    status: extra.status ?? 200,
    html: renderMfaEnrolPage(look, { action: provider.endpoints.loginMfaEnroll, request: sealed, csrf, mfaToken, clientName, error: extra.error, qrCode: enrolment.qrCode, secret: enrolment.secret }),
    policy: pagePolicy({ formTarget: redirectUri, logoUrl: look.logoUrl }),
    cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)],
  };
}

/** The first sight of the enrolment page: a new pending authenticator for the holder of the enrolment mfaToken. */
export async function enrolmentAnswer(deps: Deps, caller: Principal, provider: Provider, sealed: string, redirectUri: string, clientName: string, mfaToken: string): Promise<HostedAnswer> {
  const enrolment = await enrollTotp(deps, caller, { mfaToken });
  return enrolPage(deps, provider, sealed, redirectUri, clientName, mfaToken, enrolment);
}

export interface EnrolForm {
  request?: string;
  csrf?: string;
  mfa_token?: string;
  code?: string;
}

/** POST /t/{slug}/login/mfa/enroll: confirms the authenticator; the SSO session starts, the recovery codes are shown once. */
export async function submitEnrolment(
  deps: Deps,
  caller: Principal,
  slug: string,
  form: EnrolForm,
  csrfCookie: string | undefined,
  client: ClientInfo,
  throttle: LoginThrottle,
): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, form.request);
  const app = pending && usableClient(deps, provider, pending.clientId);
  const mfaToken = form.mfa_token ?? '';
  const enrolment = pending && app && form.request && usableChallenge(deps, mfaToken, 'enroll') ? await pendingTotpEnrollment(deps, mfaToken) : undefined;
  if (!pending || !app || !form.request || !enrolment) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) {
    return messageAnswer(deps, provider, 403, 'Sign-in refused', 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  const again = (status: number, error: string) => enrolPage(deps, provider, form.request!, pending.redirectUri, app.name, mfaToken, enrolment, { status, error });
  const code = (form.code ?? '').replace(/\s+/g, '');
  if (!code) return again(200, 'Enter the 6-digit code from your authenticator app.');
  let done: { recoveryCodes: string[]; started: Entered | null };
  try {
    done = confirmTotpForHostedSignIn(deps, caller, { code, mfaToken }, client, throttle, (user) =>
      mayEnter(deps, caller, provider, app.clientId, user.id, client)
        ? startSsoSession(deps, caller, provider, pending, app.clientId, user.id, client, { mfa: 'totp', enrolled: true })
        : null,
    );
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === 'rate_limited') return again(429, 'Too many wrong codes. Wait a few minutes and try again.');
    if (err.code === 'unauthorized' && usableChallenge(deps, mfaToken, 'enroll')) return again(401, 'That code is not valid. Check the time on your phone and try again.');
    return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  }
  if (!done.started) return entered(deps, provider, pending.redirectUri, null);
  // The code of startSsoSession is not handed out: it would expire while the user writes the recovery codes down.
  // "Continue" asks for a fresh one from the SSO session that is now live.
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return {
    status: 200,
    html: renderRecoveryCodesPage(look, { action: provider.endpoints.loginContinue, request: form.request, csrf, clientName: app.name, recoveryCodes: done.recoveryCodes }),
    policy: pagePolicy({ formTarget: pending.redirectUri, logoUrl: look.logoUrl }),
    cookies: [
      cookieHeader(deps, provider.tenant.slug, SSO_COOKIE, done.started.cookie, deps.config.refreshTokenTtl),
      cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600),
    ],
  };
}

/** POST /t/{slug}/login/continue: a pending authorization request answered from the live SSO session (a fresh code). */
export function continueSignIn(deps: Deps, slug: string, form: { request?: string; csrf?: string }, cookies: { sso?: string; csrf?: string }): HostedAnswer {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, form.request);
  const app = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !app) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!form.csrf || !cookies.csrf || !sameSecret(form.csrf, cookies.csrf)) {
    return messageAnswer(deps, provider, 403, 'Sign-in refused', 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  const sso = liveSso(deps, provider, cookies.sso, pending.maxAge);
  if (!sso) return messageAnswer(deps, provider, 401, 'Sign-in expired', 'You are not signed in to this workspace any more.', 'Go back to the application and sign in again.');
  const location = deps.sqlite.transaction(() => issueAuthorizationCode(deps, provider, pending, sso))();
  return {
    status: 303,
    location,
    policy: pagePolicy({ formTarget: pending.redirectUri }),
    cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, '', 0)],
  };
}
