import type { Deps } from '../app/deps.ts';
import { findClient, type OAuthClient } from '../clients/clients.ts';
import { tenantSessionState } from '../sessions/tenant-sessions.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { PENDING_AUTHORIZATION_MS, sealAuthorization, type PendingAuthorization } from './authorization-request.ts';
import { OAuthError } from './errors.ts';
import { providerOf, type Provider } from './provider.ts';
import { allowedScopes, parseScope } from './scopes.ts';
import { ssoSessionIdOf } from './sso-cookie.ts';
import { insertAuthorizationCode } from './store.ts';
import { userMayUseTenant } from './user-access.ts';

/** What /auth answers: an error page (nothing can be sent to the client), a redirect to the client, or the sign-in form. */
export type AuthorizeOutcome =
  | { kind: 'page'; status: number; title: string; message: string; provider?: Provider }
  | { kind: 'redirect'; location: string }
  | { kind: 'login'; sealed: string };

export type QueryParams = Record<string, unknown>;

/** Valid 60 s, single use (issue 11 §3). */
export const CODE_TTL_MS = 60_000;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The redirect URI with the response parameters (and `iss`, RFC 9207) in its query. */
export function redirectTo(redirectUri: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function errorRedirect(provider: Provider, redirectUri: string, state: string | null, err: OAuthError): AuthorizeOutcome {
  return {
    kind: 'redirect',
    location: redirectTo(redirectUri, { error: err.error, error_description: err.description, state, iss: provider.issuer }),
  };
}

/** A code for a signed-in user, bound to the client, redirect URI, PKCE challenge and nonce. Call inside a transaction. */
export function issueAuthorizationCode(
  deps: Deps,
  provider: Provider,
  pending: PendingAuthorization,
  sso: { sessionId: string; userId: string; authTimeMs: number },
): string {
  const code = newOpaqueToken();
  insertAuthorizationCode(deps, {
    codeHash: hashOpaqueToken(code),
    tenantId: provider.tenant.id,
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    codeChallenge: pending.codeChallenge,
    scope: pending.scope,
    nonce: pending.nonce,
    ssoSessionId: sso.sessionId,
    userId: sso.userId,
    authTimeMs: sso.authTimeMs,
    expiresAtMs: deps.clock.nowMs() + CODE_TTL_MS,
    usedAtMs: null,
    grantSessionId: null,
  });
  return redirectTo(pending.redirectUri, { code, state: pending.state, iss: provider.issuer });
}

/** The client of a pending or incoming request, when it may still sign users in. */
export function usableClient(deps: Deps, provider: Provider, clientId: string | undefined): OAuthClient | undefined {
  if (!clientId || !provider.tenant.active) return undefined;
  const client = findClient(deps, provider.tenant.id, clientId);
  return client && client.enabled ? client : undefined;
}

/**
 * GET /t/{slug}/protocol/openid-connect/auth (OIDC Core §3.1.2). Unknown client or unregistered redirect URI: an
 * HTML page, never a redirect. Everything else that is wrong goes back to the verified redirect URI. A live SSO
 * session (cookie) answers with a code at once unless prompt=login or max_age ask for a fresh sign-in.
 */
export function authorize(deps: Deps, slug: string, query: QueryParams, ssoCookie: string | undefined): AuthorizeOutcome {
  const provider = providerOf(deps, slug);
  const clientId = one(query.client_id);
  const redirectUri = one(query.redirect_uri);
  if (!provider.tenant.active) return { kind: 'page', status: 403, title: 'Workspace unavailable', message: 'This workspace is disabled.', provider };
  const client = usableClient(deps, provider, clientId);
  if (!client) return { kind: 'page', status: 400, title: 'Unknown application', message: 'The application that sent you here is not known to this workspace, or it is disabled.', provider };
  if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
    return { kind: 'page', status: 400, title: 'Invalid redirect', message: 'The application sent a redirect URI that is not registered for it. Nothing was sent back.', provider };
  }
  const state = one(query.state) ?? null;
  const fail = (error: OAuthError['error'], description: string) => errorRedirect(provider, redirectUri, state, new OAuthError(error, description));
  for (const name of ['response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age']) {
    if (query[name] !== undefined && typeof query[name] !== 'string') return fail('invalid_request', `${name} must be given once`);
  }
  if (query.request !== undefined) return errorRedirect(provider, redirectUri, state, new OAuthError('invalid_request', 'Request objects are not supported'));
  if (query.request_uri !== undefined) return fail('invalid_request', 'request_uri is not supported');
  const responseType = one(query.response_type);
  if (!responseType) return fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
  if (!client.grantTypes.includes('authorization_code')) return fail('unauthorized_client', 'This client may not use the authorization code flow');
  if (query.response_mode !== undefined && query.response_mode !== 'query') return fail('invalid_request', 'Only response_mode=query is supported');
  let scopes: string[];
  try {
    scopes = allowedScopes(client, parseScope(one(query.scope)));
  } catch (err) {
    return errorRedirect(provider, redirectUri, state, err as OAuthError);
  }
  const method = one(query.code_challenge_method);
  const challenge = one(query.code_challenge);
  if (method !== undefined && method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is refused)');
  if (challenge !== undefined && !CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
  if (challenge !== undefined && method === undefined) return fail('invalid_request', 'code_challenge_method=S256 is required with code_challenge');
  if (client.clientType === 'public' && !challenge) return fail('invalid_request', 'A public client must send a PKCE code_challenge (S256)');
  const prompts = parseScope(one(query.prompt));
  if (prompts.includes('none') && prompts.length > 1) return fail('invalid_request', 'prompt=none cannot be combined with other values');
  const rawMaxAge = one(query.max_age);
  if (rawMaxAge !== undefined && !/^\d{1,9}$/.test(rawMaxAge)) return fail('invalid_request', 'max_age must be a number of seconds');
  const maxAge = rawMaxAge === undefined ? null : Number(rawMaxAge);

  const pending: PendingAuthorization = {
    clientId: client.clientId,
    redirectUri,
    scope: scopes.join(' '),
    state,
    nonce: one(query.nonce) ?? null,
    codeChallenge: challenge ?? null,
    maxAge,
    exp: deps.clock.nowMs() + PENDING_AUTHORIZATION_MS,
  };

  const sso = prompts.includes('login') ? undefined : liveSso(deps, provider, ssoCookie, maxAge);
  if (sso) {
    const location = deps.sqlite.transaction(() => issueAuthorizationCode(deps, provider, pending, sso))();
    return { kind: 'redirect', location };
  }
  if (prompts.includes('none')) return fail('login_required', 'The user is not signed in to this workspace');
  return { kind: 'login', sealed: sealAuthorization(deps, provider.tenant.id, pending) };
}

/** The SSO session behind the cookie, when it is live, its user may still use the tenant and it is fresh enough. */
export function liveSso(deps: Deps, provider: Provider, cookie: string | undefined, maxAge: number | null) {
  const sessionId = ssoSessionIdOf(deps, provider.tenant.id, cookie);
  if (!sessionId) return undefined;
  const state = tenantSessionState(deps, sessionId);
  if (!state || !state.live || state.tenantId !== provider.tenant.id || state.clientId !== null) return undefined;
  if (!userMayUseTenant(deps, state.user, provider.tenant.id)) return undefined;
  if (maxAge !== null && state.authTimeMs + maxAge * 1000 < deps.clock.nowMs()) return undefined;
  return { sessionId, userId: state.user.id, authTimeMs: state.authTimeMs };
}
