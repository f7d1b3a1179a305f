import type { Deps } from '../app/deps.ts';
import { isAppError } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import type { ClientInfo } from '../identity/login.ts';
import { passkeySignInOptions, verifyPasskeySignIn } from '../passkeys/authentication.ts';
import { sameSecret } from '../tokens/opaque-tokens.ts';
import { openAuthorization } from './authorization-request.ts';
import { usableClient } from './authorize.ts';
import { EXPIRED, entered, formAnswer, mayEnter, messageAnswer, startSsoSession, type Entered, type HostedAnswer } from './hosted-login.ts';
import type { PasskeyFormView } from './pages.ts';
import { providerOf, type Provider } from './provider.ts';

/**
 * "Use a passkey" on the hosted sign-in page (issue 13 §3): a discoverable credential with user verification is
 * both factors at once, so a verified assertion of an allowed member starts the SSO session without the MFA step.
 */
export function passkeySignInForm(deps: Deps, provider: Provider): PasskeyFormView {
  const ceremony = passkeySignInOptions(deps);
  return { action: provider.endpoints.loginPasskey, ceremony: ceremony.sealed, optionsJson: JSON.stringify(ceremony.options), scriptUrl: provider.endpoints.passkeyScript };
}

export interface PasskeyForm {
  request?: string;
  csrf?: string;
  ceremony?: string;
  response?: string;
}

/** POST /t/{slug}/login/passkey: the authenticator's answer; 303 to the redirect URI with a code. */
export async function submitPasskeySignIn(deps: Deps, caller: Principal, slug: string, form: PasskeyForm, csrfCookie: string | undefined, client: ClientInfo): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, form.request);
  const app = pending && usableClient(deps, provider, pending.clientId);
  if (!pending || !app || !form.request) return messageAnswer(deps, provider, 400, 'Sign-in link expired', EXPIRED);
  if (!form.csrf || !csrfCookie || !sameSecret(form.csrf, csrfCookie)) {
    return messageAnswer(deps, provider, 403, 'Sign-in refused', 'The form was not sent from this page (missing or wrong CSRF token). Go back and try again.');
  }
  const again = (status: number, error: string) => formAnswer(deps, provider, form.request!, pending.redirectUri, app.name, { status, error });
  if (!form.response) return again(200, 'Passkeys need JavaScript and a browser that supports them. Sign in with your password instead.');
  let outcome: Entered | null;
  try {
    outcome = await verifyPasskeySignIn(deps, caller, { sealed: form.ceremony, response: form.response }, client, { auditTenantId: provider.tenant.id, auditPayload: { client_id: app.clientId } }, (user) =>
      mayEnter(deps, caller, provider, app.clientId, user.id, client)
        ? startSsoSession(deps, caller, provider, pending, app.clientId, user.id, client, { method: 'passkey', mfa: 'passkey' })
        : null,
    );
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === 'unauthorized') return again(401, 'That passkey was not accepted. Try again, or sign in with your password.');
    return messageAnswer(deps, provider, 403, 'No access to this workspace', 'Your account cannot sign in right now. Contact your administrator.');
  }
  return entered(deps, provider, pending.redirectUri, outcome);
}
