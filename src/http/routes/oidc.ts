import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { isAppError } from '../../app/errors.ts';
import { anonymous } from '../../authorization/principal.ts';
import { errorEnvelope } from '../plugins/errors.ts';
import { authorize, type QueryParams } from '../../oidc/authorize.ts';
import { clientChallenge } from '../../oidc/client-auth.ts';
import { openIdConfiguration, tenantJwks } from '../../oidc/discovery.ts';
import { endSession } from '../../oidc/end-session.ts';
import { OAuthError } from '../../oidc/errors.ts';
import { hostedMessage, loginPage, submitLogin, submitMfa, type HostedAnswer } from '../../oidc/hosted-login.ts';
import { introspect } from '../../oidc/introspection.ts';
import { issuerOf } from '../../oidc/provider.ts';
import { revoke } from '../../oidc/revocation.ts';
import { CSRF_COOKIE, parseCookies, SSO_COOKIE } from '../../oidc/sso-cookie.ts';
import { tokenRequest } from '../../oidc/token-endpoint.ts';
import { userinfo } from '../../oidc/userinfo.ts';
import { bearerCredential } from '../bearer.ts';
import { clientOf, hostedAccountSecurityRoutes, html, sendHosted, slugParams } from './hosted-pages.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers HTML pages (its errors too). */
    page?: boolean;
  }
}

/** Form bodies and queries of the protocol: strings only; a parameter sent twice is an array and refused. */
const form = z.record(z.string(), z.string());
const oauthError = z.object({ error: z.string(), error_description: z.string().optional() }).meta({ id: 'OAuthError' });
const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number(),
  scope: z.string().optional(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
  issued_token_type: z.string().optional(),
});
const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** application/x-www-form-urlencoded, with repeated parameters kept as arrays so the schema refuses them. */
function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const bearerOf = (request: FastifyRequest): string | undefined => bearerCredential(request.headers.authorization);

/**
 * Every tenant is an OpenID Provider (issue 11): discovery, keys, /auth with the hosted sign-in page, token,
 * userinfo, introspection, revocation and RP-initiated logout under /t/{slug}/. Protocol endpoints answer RFC 6749
 * errors; pages answer HTML. The protocol lives in src/oidc; these handlers only parse and render.
 */
export async function oidcRoutes(app: App, deps: Deps): Promise<void> {
  const throttle = deps.loginThrottle;
  const caller = anonymous('http');

  await app.register(async (scope) => {
    const oauth = scope as unknown as App;
    oauth.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      done(null, parseForm(body as string));
    });
    oauth.setErrorHandler((err, request, reply) => {
      const page = (request.routeOptions.config as { page?: boolean } | undefined)?.page;
      if (err instanceof OAuthError) {
        if (err.error === 'invalid_client') reply.header('www-authenticate', clientChallenge({ issuer: issuerOf(deps, (request.params as { slug: string }).slug) }));
        if (err.status === 401 && err.error !== 'invalid_client') reply.header('www-authenticate', `Bearer error="${err.error}", error_description="${err.description.replace(/"/g, "'")}"`);
        if (err.error === 'invalid_request' && err.status === 401) reply.header('www-authenticate', 'Bearer');
        return reply.status(err.status).send(err.body());
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        if (page) return sendHosted(reply, hostedMessageSafe(deps, request, 400, 'Invalid request', 'The request was malformed.'));
        return reply.status(400).send({ error: 'invalid_request', error_description: 'Malformed request (a parameter is missing, repeated or not text)' });
      }
      if (isAppError(err)) {
        if (page && err.code !== 'not_found') return sendHosted(reply, hostedMessageSafe(deps, request, err.status, 'Something went wrong', err.message));
        return reply.status(err.status).send(errorEnvelope(err.code, err.message));
      }
      request.log.error({ err }, 'unhandled error in an OAuth endpoint');
      return reply.status(500).send({ error: 'server_error', error_description: 'Internal server error' });
    });

    const tags = ['oidc'];
    const publicDoc = { 'cache-control': 'public, max-age=300' };

    oauth.get(
      '/t/:slug/.well-known/openid-configuration',
      { schema: { operationId: 'getOpenIdConfiguration', tags, summary: "The tenant's OpenID Provider metadata (raw, no envelope)", params: slugParams, response: { 200: z.record(z.string(), z.unknown()) } } },
      async (request, reply) => {
        reply.headers(publicDoc).removeHeader('pragma');
        return openIdConfiguration(deps, request.params.slug);
      },
    );
    const certs = async (request: FastifyRequest<{ Params: { slug: string } }>, reply: FastifyReply) => {
      reply.headers(publicDoc).removeHeader('pragma');
      return tenantJwks(deps, request.params.slug);
    };
    oauth.get(
      '/t/:slug/protocol/openid-connect/certs',
      { schema: { operationId: 'getTenantCerts', tags, summary: "The tenant's signing keys (JWKS); never another tenant's", params: slugParams, response: { 200: jwks } } },
      certs,
    );
    oauth.get(
      '/t/:slug/.well-known/jwks.json',
      { schema: { operationId: 'getTenantJwks', tags, summary: "The tenant's signing keys (JWKS), as /protocol/openid-connect/certs", params: slugParams, response: { 200: jwks } } },
      certs,
    );

    oauth.get(
      '/t/:slug/protocol/openid-connect/auth',
      {
        config: { page: true },
        schema: {
          operationId: 'authorize',
          tags,
          summary: 'Authorization endpoint (code + PKCE S256): the hosted sign-in form, or back to the client (SSO, errors)',
          params: slugParams,
          querystring: z
            .object({
              response_type: z.string(),
              client_id: z.string(),
              redirect_uri: z.string(),
              scope: z.string(),
              state: z.string(),
              nonce: z.string(),
              code_challenge: z.string(),
              code_challenge_method: z.string(),
              prompt: z.string(),
              max_age: z.string(),
              response_mode: z.string(),
            })
            .partial()
            .loose(),
          response: { 200: html.describe('the sign-in form'), 303: z.null().describe('to the redirect URI'), 400: html },
        },
      },
      async (request, reply) => {
        const outcome = authorize(deps, request.params.slug, request.query as QueryParams, parseCookies(request.headers.cookie)[SSO_COOKIE]);
        if (outcome.kind === 'page') return sendHosted(reply, hostedMessage(deps, request.params.slug, outcome.status, outcome.title, outcome.message));
        if (outcome.kind === 'login') return sendHosted(reply, loginPage(deps, request.params.slug, outcome.sealed));
        return reply.redirect(outcome.location, 303);
      },
    );

    oauth.get(
      '/t/:slug/login',
      {
        config: { page: true },
        schema: {
          operationId: 'getHostedLogin',
          tags,
          summary: "The tenant's hosted sign-in page (HTML)",
          params: slugParams,
          querystring: z.object({ request: z.string().max(8192).optional() }),
          response: { 200: html },
        },
      },
      async (request, reply) => sendHosted(reply, loginPage(deps, request.params.slug, request.query.request)),
    );

    oauth.post(
      '/t/:slug/login',
      {
        config: { page: true },
        onRequest: app.ipRateLimit,
        schema: {
          operationId: 'postHostedLogin',
          tags,
          summary: 'Sign in on the hosted page (form post, CSRF-protected); 303 to the redirect URI with a code',
          params: slugParams,
          body: z.object({ request: z.string().optional(), csrf: z.string().optional(), email: z.string().optional(), password: z.string().optional() }),
          response: { 200: html.describe('the form again, asking for what is missing'), 303: z.null(), 401: html },
        },
      },
      async (request, reply) => {
        const answer = await submitLogin(
          deps,
          caller,
          request.params.slug,
          request.body,
          parseCookies(request.headers.cookie)[CSRF_COOKIE],
          clientOf(request),
          throttle,
        );
        return sendHosted(reply, answer);
      },
    );

    oauth.post(
      '/t/:slug/login/mfa',
      {
        config: { page: true },
        onRequest: app.ipRateLimit,
        schema: {
          operationId: 'postHostedLoginMfa',
          tags,
          summary: 'The second step of a hosted sign-in: a TOTP code or a recovery code (form post, CSRF-protected); 303 to the redirect URI with a code',
          params: slugParams,
          body: z.object({
            request: z.string().optional(),
            csrf: z.string().optional(),
            mfa_token: z.string().max(200).optional(),
            code: z.string().max(20).optional(),
            recovery_code: z.string().max(100).optional(),
          }),
          response: { 200: html.describe('the step again, asking for what is missing'), 303: z.null(), 401: html },
        },
      },
      async (request, reply) =>
        sendHosted(
          reply,
          submitMfa(
            deps,
            caller,
            request.params.slug,
            request.body,
            parseCookies(request.headers.cookie)[CSRF_COOKIE],
            clientOf(request),
            throttle,
          ),
        ),
    );

    hostedAccountSecurityRoutes(oauth, app, deps);

    oauth.post(
      '/t/:slug/protocol/openid-connect/token',
      {
        schema: {
          operationId: 'token',
          tags,
          summary: 'Token endpoint: authorization_code, refresh_token, client_credentials (RFC 6749 errors)',
          params: slugParams,
          body: form,
          response: { 200: tokenResponse, 400: oauthError, 401: oauthError },
        },
      },
      async (request) => tokenRequest(deps, caller, request.params.slug, request.headers.authorization, request.body),
    );

    const userinfoHandler = async (request: FastifyRequest<{ Params: { slug: string }; Body?: Record<string, string> }>) =>
      userinfo(deps, request.params.slug, bearerOf(request) ?? (request.body as Record<string, string> | undefined)?.access_token);
    const userinfoSchema = (operationId: string) => ({
      operationId,
      tags,
      summary: 'Claims about the signed-in user, by the access token’s scopes (Bearer)',
      params: slugParams,
      response: { 200: z.record(z.string(), z.unknown()), 401: oauthError },
    });
    oauth.get('/t/:slug/protocol/openid-connect/userinfo', { schema: userinfoSchema('getUserinfo') }, userinfoHandler);
    oauth.post('/t/:slug/protocol/openid-connect/userinfo', { schema: { ...userinfoSchema('postUserinfo'), body: form.nullish() } }, userinfoHandler);

    oauth.post(
      '/t/:slug/protocol/openid-connect/introspect',
      {
        schema: {
          operationId: 'introspect',
          tags,
          summary: 'Token introspection (RFC 7662), client-authenticated',
          params: slugParams,
          body: form,
          response: { 200: z.record(z.string(), z.unknown()), 401: oauthError },
        },
      },
      async (request) => introspect(deps, request.params.slug, request.headers.authorization, request.body),
    );

    oauth.post(
      '/t/:slug/protocol/openid-connect/revoke',
      {
        schema: {
          operationId: 'revoke',
          tags,
          summary: 'Token revocation (RFC 7009), client-authenticated',
          params: slugParams,
          body: form,
          response: { 200: z.object({}), 401: oauthError },
        },
      },
      async (request) => {
        revoke(deps, caller, request.params.slug, request.headers.authorization, request.body);
        return {};
      },
    );

    const logout = async (request: FastifyRequest<{ Params: { slug: string } }>, reply: FastifyReply) => {
      const params = { ...(request.query as Record<string, string>), ...((request.body as Record<string, string> | undefined) ?? {}) };
      const cookies = parseCookies(request.headers.cookie);
      const method = request.method === 'POST' ? 'POST' : 'GET';
      return sendHosted(reply, endSession(deps, caller, request.params.slug, params, { sso: cookies[SSO_COOKIE], csrf: cookies[CSRF_COOKIE] }, method));
    };
    const logoutParams = z
      .object({ id_token_hint: z.string(), post_logout_redirect_uri: z.string(), state: z.string(), client_id: z.string(), confirm: z.string(), csrf: z.string() })
      .partial();
    const logoutSchema = (operationId: string) => ({
      operationId,
      tags,
      summary: 'RP-initiated logout: ends the SSO session; back to a registered post_logout_redirect_uri only',
      params: slugParams,
      querystring: logoutParams,
      response: { 200: html, 303: z.null() },
    });
    oauth.get('/t/:slug/protocol/openid-connect/logout', { config: { page: true }, schema: logoutSchema('getEndSession') }, logout);
    oauth.post('/t/:slug/protocol/openid-connect/logout', { config: { page: true }, schema: { ...logoutSchema('postEndSession'), body: logoutParams.nullish() } }, logout);
  });
}

function hostedMessageSafe(deps: Deps, request: FastifyRequest, status: number, title: string, message: string): HostedAnswer {
  try {
    return hostedMessage(deps, (request.params as { slug: string }).slug, status, title, message);
  } catch {
    return { status, html: `<!doctype html><title>${status}</title><p>${title}</p>`, policy: "default-src 'none'", cookies: [] };
  }
}
