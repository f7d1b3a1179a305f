import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import { signInCandidate, type ClientInfo } from '../identity/login.ts';
import { normalizeEmail } from '../identity/users.ts';
import { requestMagicLinkAfterResponse, spendMagicLinkToken } from '../magic-links/magic-links.ts';
import { tenantOffersMagicLinks } from '../magic-links/tenant-setting.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { openAuthorization, type PendingAuthorization } from './authorization-request.ts';
import { usableClient } from './authorize.ts';
import { EXPIRED, afterFirstFactor, formAnswer, messageAnswer, type HostedAnswer } from './hosted-login.ts';
import { lookOf, pagePolicy, renderMagicLinkPage, renderMagicLinkSentPage } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';
import { CSRF_COOKIE, cookieHeader } from './sso-cookie.ts';
import { selectBranding } from './store.ts';

/**
 * "Email me a link" on the hosted sign-in page (issue 13 §2), for tenants that enable it. The link is the one of
 * POST /auth/magic-link/request (15 min, single use, hashed, through the outbox, the same per-address limit), but
 * it opens /t/{slug}/login/magic-link with the pending authorization request, where a button spends it and the
 * sign-in continues as after a password: the MFA step (or enrolment) still applies.
 */

const NOT_OFFERED = 'This workspace does not offer sign-in links. Sign in with your password.';
const INVALID_LINK = 'This sign-in link is invalid, expired or already used. Go back to the application and sign in again.';
const CSRF_REFUSED = 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.';

interface Open {
  provider: Provider;
  pending: PendingAuthorization;
  app: { clientId: string; name: string };
  sealed: string;
}

/** The pending request behind a form or link, when the tenant offers magic links; otherwise the page to answer. */
function openRequest(deps: Deps, slug: string, sealed: string | undefined): Open | HostedAnswer {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, sealed);
  const app = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !app || !sealed) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!tenantOffersMagicLinks(deps, provider.tenant.id)) return messageAnswer(deps, provider, 404, 'Sign-in links are off', NOT_OFFERED);
  return { provider, pending, app, sealed };
}

const isAnswer = (v: Open | HostedAnswer): v is HostedAnswer => 'status' in v;

function page(deps: Deps, provider: Provider, redirectUri: string, render: (look: ReturnType<typeof lookOf>, csrf: string) => string): HostedAnswer {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  return { status: 200, html: render(look, csrf), policy: pagePolicy({ formTarget: redirectUri, logoUrl: look.logoUrl }), cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)] };
}

/** POST /t/{slug}/login/magic-link (the login form's second button): the same answer for every address, the work after it. */
export function requestHostedMagicLink(deps: Deps, caller: Principal, slug: string, form: { request?: string; csrf?: string; email?: string }, csrfCookie: string | undefined, client: ClientInfo): HostedAnswer {
  const open = openRequest(deps, slug, form.request);
  if (isAnswer(open)) return open;
  const { provider, pending, app, sealed } = open;
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) return messageAnswer(deps, provider, 403, 'Sign-in refused', CSRF_REFUSED);
  const email = (form.email ?? '').trim().slice(0, 320);
  const again = (error: string) => formAnswer(deps, provider, sealed, pending.redirectUri, app.name, { email, error });
  let normalized: string;
  try {
    normalized = normalizeEmail(email);
  } catch (err) {
    if (!isAppError(err)) throw err;
    return again('Enter your email address to get a sign-in link.');
  }
  const linkTo = (token: string) => `${provider.endpoints.loginMagicLink}?${new URLSearchParams({ token, request: sealed })}`;
  requestMagicLinkAfterResponse(deps, caller, { email: normalized }, client, deps.magicLinkRequestLimit, linkTo);
  return { ...page(deps, provider, pending.redirectUri, (look) => renderMagicLinkSentPage(look, { email: normalized, clientName: app.name })), cookies: [] };
}

/** GET /t/{slug}/login/magic-link?token=…&request=…: the landing page; opening it spends nothing. */
export function magicLinkLanding(deps: Deps, slug: string, query: { token?: string; request?: string }): HostedAnswer {
  const open = openRequest(deps, slug, query.request);
  if (isAnswer(open)) return open;
  if (!query.token) return messageAnswer(deps, open.provider, 400, 'Sign-in link not valid', INVALID_LINK);
  return page(deps, open.provider, open.pending.redirectUri, (look, csrf) =>
    renderMagicLinkPage(look, { action: open.provider.endpoints.loginMagicLink + '/verify', request: open.sealed, csrf, token: query.token!, clientName: open.app.name }),
  );
}

/** POST /t/{slug}/login/magic-link/verify: spends the link; then as after a password (membership, MFA step, SSO session, code). */
export async function submitMagicLink(deps: Deps, caller: Principal, slug: string, form: { request?: string; csrf?: string; token?: string }, csrfCookie: string | undefined, client: ClientInfo): Promise<HostedAnswer> {
  const open = openRequest(deps, slug, form.request);
  if (isAnswer(open)) return open;
  const { provider, pending, app, sealed } = open;
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) return messageAnswer(deps, provider, 403, 'Sign-in refused', CSRF_REFUSED);
  const userId = form.token ? spendMagicLinkToken(deps, caller, form.token, client) : undefined;
  if (!userId) return messageAnswer(deps, provider, 400, 'Sign-in link not valid', INVALID_LINK);
  const candidate = deps.sqlite.transaction(() => signInCandidate(deps, caller, userId, client))();
  if ('error' in candidate) return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  return afterFirstFactor(deps, caller, provider, pending, app, sealed, candidate.user, client, 'magic_link');
}
