import { z } from 'zod';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { isAppError } from '../../app/errors.ts';
import { anonymous } from '../../authorization/principal.ts';
import { hostedMessage, type HostedAnswer } from '../../oidc/hosted-login.ts';
import { parseCookies } from '../../oidc/sso-cookie.ts';
import { finishUpstreamSignIn } from '../../upstream-idps/sign-in-callback.ts';
import { startUpstreamSignIn, UPSTREAM_STATE_COOKIE } from '../../upstream-idps/sign-in-start.ts';
import { errorEnvelope } from '../plugins/errors.ts';
import { sendHosted } from './hosted-pages.ts';

const params = z.object({ slug: z.string().min(1).max(63), idp: z.string().min(1).max(32) });
const html = z.string().describe('text/html page');

/**
 * Sign-in on the hosted page through the tenant's upstream OpenID providers (issue 13 §4): the "Continue with …"
 * link starts the code flow at the provider, the provider comes back to the callback. Both answer HTML pages or
 * redirects; the flow lives in src/upstream-idps.
 */
export async function upstreamSignInRoutes(app: App, deps: Deps): Promise<void> {
  const caller = anonymous('http');
  await app.register(async (scope) => {
    const pages = scope as unknown as App;
    pages.setErrorHandler((err, request, reply) => {
      const slug = (request.params as { slug?: string } | undefined)?.slug ?? '';
      if (isAppError(err) && err.code === 'not_found') return reply.status(404).send(errorEnvelope(err.code, err.message));
      const invalid = hasZodFastifySchemaValidationErrors(err);
      if (!isAppError(err) && !invalid) request.log.error({ err }, 'unhandled error in an upstream sign-in page');
      let page: HostedAnswer;
      try {
        page = invalid
          ? hostedMessage(deps, slug, 400, 'Invalid request', 'The request was malformed.')
          : hostedMessage(deps, slug, isAppError(err) ? err.status : 500, 'Something went wrong', isAppError(err) ? err.message : 'The sign-in could not be completed. Try again.');
      } catch {
        page = { status: 500, html: '<!doctype html><title>Error</title><p>Something went wrong</p>', policy: "default-src 'none'", cookies: [] };
      }
      return sendHosted(reply, page);
    });

    pages.get(
      '/t/:slug/login/upstream/:idp',
      {
        onRequest: app.ipRateLimit,
        schema: {
          operationId: 'startUpstreamSignIn',
          tags: ['oidc'],
          summary: "Sign in through one of the tenant's upstream OpenID providers: 303 to the provider (code + PKCE, state, nonce)",
          params,
          querystring: z.object({ request: z.string().max(8192).optional() }),
          response: { 200: html.describe('not answered (a started sign-in is the 303); listed because OpenAPI wants a success response'), 303: z.null().describe('to the provider'), 400: html, 404: html, 503: html.describe('the provider does not answer') },
        },
      },
      async (request, reply) => sendHosted(reply, await startUpstreamSignIn(deps, request.params.slug, request.params.idp, request.query.request)),
    );

    pages.get(
      '/t/:slug/login/upstream/:idp/callback',
      {
        onRequest: app.ipRateLimit,
        schema: {
          operationId: 'finishUpstreamSignIn',
          tags: ['oidc'],
          summary: "The provider's answer (redirect URI to register with it): 303 to the application with a code, or the MFA step, or why not",
          params,
          querystring: z
            .object({ code: z.string(), state: z.string(), iss: z.string(), error: z.string(), error_description: z.string() })
            .partial()
            .loose(),
          response: { 200: html.describe('the MFA step'), 303: z.null().describe('to the redirect URI'), 400: html, 401: html, 403: html, 503: html },
        },
      },
      async (request, reply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const answer = await finishUpstreamSignIn(
          deps,
          caller,
          request.params.slug,
          request.params.idp,
          query,
          parseCookies(request.headers.cookie)[UPSTREAM_STATE_COOKIE],
          { ip: request.ip, userAgent: request.headers['user-agent'] },
        );
        return sendHosted(reply, answer);
      },
    );
  });
}
