import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { isAppError, validationError } from '../app/errors.ts';
import { userPrincipal, type UserPrincipal } from '../authorization/principal.ts';
import { listPasskeys, passkeyRegistrationOptions, registerPasskey, removePasskey } from '../passkeys/registration.ts';
import { tenantSessionState } from '../sessions/tenant-sessions.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { liveSso } from './authorize.ts';
import { messageAnswer, type HostedAnswer } from './hosted-login.ts';
import { lookOf, pagePolicy, renderAccountPage } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';
import { CSRF_COOKIE, cookieHeader } from './sso-cookie.ts';
import { selectBranding } from './store.ts';

/**
 * The hosted account page /t/{slug}/account (issue 13 §3): whoever holds a live SSO session of the tenant sees
 * their passkeys, adds one (the WebAuthn ceremony needs the page's script) and removes one (a plain form). The
 * rules and the audit live in src/passkeys; this file only finds the signed-in user and renders.
 */
export interface AccountCookies {
  sso?: string;
  csrf?: string;
}

function signedIn(deps: Deps, provider: Provider, cookie: string | undefined): { caller: UserPrincipal; email: string } | undefined {
  const sso = liveSso(deps, provider, cookie, null);
  const state = sso && tenantSessionState(deps, sso.sessionId);
  if (!state) return undefined;
  return { caller: userPrincipal(state.user.id, state.user.globalRole, 'http'), email: state.user.email };
}

const notSignedIn = (deps: Deps, provider: Provider) =>
  messageAnswer(deps, provider, 401, 'Not signed in', `You are not signed in to ${provider.tenant.name}.`, 'Sign in through one of its applications, then open this page again.');

async function accountAnswer(deps: Deps, provider: Provider, who: { caller: UserPrincipal; email: string }, extra: { status?: number; notice?: string; error?: string } = {}): Promise<HostedAnswer> {
  const look = lookOf(provider.tenant.name, selectBranding(deps, provider.tenant.id));
  const csrf = randomBytes(32).toString('base64url');
  const ceremony = await passkeyRegistrationOptions(deps, who.caller, who.caller.id);
  const html = renderAccountPage(look, {
    email: who.email,
    csrf,
    passkeys: listPasskeys(deps, who.caller, who.caller.id),
    removeAction: `${provider.endpoints.account}/passkeys/remove`,
    register: { action: `${provider.endpoints.account}/passkeys`, ceremony: ceremony.sealed, optionsJson: JSON.stringify(ceremony.options), scriptUrl: provider.endpoints.passkeyScript },
    signOutUrl: provider.endpoints.endSession,
    notice: extra.notice,
    error: extra.error,
  });
  return {
    status: extra.status ?? 200,
    html,
    policy: pagePolicy({ logoUrl: look.logoUrl, scripts: true }),
    cookies: [cookieHeader(deps, provider.tenant.slug, CSRF_COOKIE, csrf, 600)],
  };
}

/** GET /t/{slug}/account. */
export async function accountPage(deps: Deps, slug: string, cookies: AccountCookies, notice?: string): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const who = signedIn(deps, provider, cookies.sso);
  if (!who) return notSignedIn(deps, provider);
  return accountAnswer(deps, provider, who, { notice });
}

/** Back to the account page after a change (a GET, so reloading it changes nothing). */
function backToAccount(provider: Provider, done: 'added' | 'removed'): HostedAnswer {
  return { status: 303, location: `${provider.endpoints.account}?done=${done}`, policy: pagePolicy(), cookies: [] };
}

export const ACCOUNT_NOTICES: Record<string, string> = { added: 'Passkey added.', removed: 'Passkey removed.' };

async function change(
  deps: Deps,
  slug: string,
  form: { csrf?: string },
  cookies: AccountCookies,
  run: (who: { caller: UserPrincipal; email: string }) => Promise<'added' | 'removed'>,
): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const who = signedIn(deps, provider, cookies.sso);
  if (!who) return notSignedIn(deps, provider);
  if (!form.csrf || !cookies.csrf || !sameSecret(form.csrf, cookies.csrf)) {
    return messageAnswer(deps, provider, 403, 'Change refused', 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  try {
    return backToAccount(provider, await run(who));
  } catch (err) {
    if (!isAppError(err)) throw err;
    return accountAnswer(deps, provider, who, { status: err.status, error: err.message });
  }
}

/** POST /t/{slug}/account/passkeys: the authenticator's answer to the registration ceremony. */
export function submitPasskeyRegistration(deps: Deps, slug: string, form: { csrf?: string; ceremony?: string; response?: string; name?: string }, cookies: AccountCookies): Promise<HostedAnswer> {
  return change(deps, slug, form, cookies, async (who) => {
    if (!form.response) throw validationError('Adding a passkey needs JavaScript and a browser that supports passkeys.');
    await registerPasskey(deps, who.caller, who.caller.id, { sealed: form.ceremony, response: form.response, name: form.name });
    return 'added';
  });
}

/** POST /t/{slug}/account/passkeys/remove. */
export function submitPasskeyRemoval(deps: Deps, slug: string, form: { csrf?: string; credential_id?: string }, cookies: AccountCookies): Promise<HostedAnswer> {
  return change(deps, slug, form, cookies, async (who) => {
    removePasskey(deps, who.caller, who.caller.id, form.credential_id ?? '');
    return 'removed';
  });
}
