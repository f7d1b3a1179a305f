import type { Deps } from '../app/deps.ts';
import { sealToText } from '../keys/master-key.ts';
import { openAuthorization } from '../oidc/authorization-request.ts';
import { usableClient } from '../oidc/authorize.ts';
import { hostedRefusal, type HostedAnswer } from '../oidc/hosted-login.ts';
import { pagePolicy } from '../oidc/pages.ts';
import { providerOf } from '../oidc/provider.ts';
import { cookieHeader } from '../oidc/sso-cookie.ts';
import { hashOpaqueToken } from '../tokens/opaque-tokens.ts';
import { callbackUrl, findUpstreamIdp } from './providers.ts';
import { deleteExpiredSignIns, insertSignIn } from './store.ts';
import type { UpstreamIdpRow } from './tables.ts';

/** The cookie that ties the provider's answer to the browser that asked (its value is the `state`). */
export const UPSTREAM_STATE_COOKIE = 'kimauth_upstream';
/** How long a user may take at the provider. */
export const UPSTREAM_SIGN_IN_MS = 10 * 60_000;

export const verifierContext = (stateHash: string) => `upstream-sign-in:${stateHash}`;

const EXPIRED = 'This sign-in link has expired or is not valid. Go back to the application and start again.';

/** The page for a provider that does not answer (down, unreachable, broken metadata): never a stack trace. */
export function unavailable(deps: Deps, slug: string, idp: UpstreamIdpRow, err: unknown): HostedAnswer {
  deps.logger.warn({ idp: idp.name, issuer: idp.issuer, error: err instanceof Error ? err.message : String(err) }, 'upstream OpenID provider unavailable');
  return hostedRefusal(
    deps,
    slug,
    503,
    'Sign-in provider unavailable',
    `${idp.display_name} is not answering right now, so you cannot sign in with it at the moment.`,
    'Try again in a few minutes, or go back and sign in another way.',
  );
}

/**
 * GET /t/{slug}/login/upstream/{name}?request=…: the code flow with PKCE (S256), state and nonce against the
 * provider. The state's hash, the nonce and the sealed verifier wait in upstream_sign_ins (10 minutes, one use);
 * the state itself goes to this browser in a cookie, so only the browser that started can finish.
 */
export async function startUpstreamSignIn(deps: Deps, slug: string, idpName: string, sealed: string | undefined): Promise<HostedAnswer> {
  const provider = providerOf(deps, slug);
  const pending = openAuthorization(deps, provider.tenant.id, sealed);
  if (!pending || !sealed || !usableClient(deps, provider, pending.clientId)) return hostedRefusal(deps, slug, 400, 'Sign-in link expired', EXPIRED);
  const idp = findUpstreamIdp(deps, provider.tenant.id, idpName);
  if (!idp) return hostedRefusal(deps, slug, 404, 'Sign-in option not available', `${provider.tenant.name} has no sign-in provider named "${idpName}".`);

  const client = await import('openid-client');
  let config;
  try {
    config = await deps.upstreamClients.configuration(deps, idp);
  } catch (err) {
    return unavailable(deps, slug, idp, err);
  }
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const stateHash = hashOpaqueToken(state);
  const now = deps.clock.nowMs();
  deps.sqlite.transaction(() => {
    deleteExpiredSignIns(deps, now);
    insertSignIn(deps, {
      state_hash: stateHash,
      idp_id: idp.id,
      nonce,
      code_verifier_sealed: sealToText(deps.masterKeys, verifier, verifierContext(stateHash)),
      request: sealed,
      created_at: now,
      expires_at: now + UPSTREAM_SIGN_IN_MS,
    });
  })();
  const location = client.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(deps, provider.tenant.slug, idp.name),
    scope: idp.scopes,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return {
    status: 303,
    location: location.href,
    policy: pagePolicy(),
    cookies: [cookieHeader(deps, provider.tenant.slug, UPSTREAM_STATE_COOKIE, state, UPSTREAM_SIGN_IN_MS / 1000)],
  };
}
