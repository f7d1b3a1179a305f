import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { readAsset } from '../../app/assets.ts';
import { anonymous } from '../../authorization/principal.ts';
import type { HostedAnswer } from '../../oidc/hosted-login.ts';
import { continueSignIn, submitEnrolment } from '../../oidc/hosted-enrolment.ts';
import { magicLinkLanding, requestHostedMagicLink, submitMagicLink } from '../../oidc/hosted-magic-link.ts';
import { ACCOUNT_NOTICES, accountPage, submitPasskeyRegistration, submitPasskeyRemoval } from '../../oidc/hosted-account.ts';
import { submitPasskeySignIn } from '../../oidc/hosted-passkey.ts';
import { CSRF_COOKIE, parseCookies, SSO_COOKIE } from '../../oidc/sso-cookie.ts';

/** What every hosted page route shares: the tenant in the path, HTML answers, the caller's address. */
export const slugParams = z.object({ slug: z.string().min(1).max(63) });
export const html = z.string().describe('text/html page');
export const clientOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] });

export function sendHosted(reply: FastifyReply, answer: HostedAnswer) {
  reply.status(answer.status).header('content-security-policy', answer.policy);
  if (answer.cookies.length) reply.header('set-cookie', answer.cookies);
  if (answer.location) return reply.header('location', answer.location).send();
  return reply.type('text/html; charset=utf-8').send(answer.html);
}

/**
 * The hosted pages of account security (issue 13), registered inside the OIDC routes' scope (its form parser and
 * its error handler, which answers pages with HTML): TOTP enrolment on first sign-in, magic links, passkey sign-in
 * and the account page. The flows live in src/oidc/hosted-*.ts; these handlers only parse and render.
 */
export function hostedAccountSecurityRoutes(oauth: App, app: App, deps: Deps): void {
  const throttle = deps.loginThrottle;
  const caller = anonymous('http');
  const tags = ['oidc'];

  // ── Hosted TOTP enrolment on first sign-in (issue 13 §1) ──
  oauth.post(
    '/t/:slug/login/mfa/enroll',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedLoginMfaEnroll',
        tags,
        summary: 'Hosted TOTP enrolment when the tenant requires MFA: confirm the authenticator with a code (form post, CSRF-protected); answers the recovery codes page',
        params: slugParams,
        body: z.object({ request: z.string().optional(), csrf: z.string().optional(), mfa_token: z.string().max(200).optional(), code: z.string().max(20).optional() }),
        response: { 200: html.describe('the recovery codes (shown once), or the step again'), 401: html },
      },
    },
    async (request, reply) =>
      sendHosted(
        reply,
        await submitEnrolment(deps, caller, request.params.slug, request.body, parseCookies(request.headers.cookie)[CSRF_COOKIE], clientOf(request), throttle),
      ),
  );
  oauth.post(
    '/t/:slug/login/continue',
    {
      config: { page: true },
      schema: {
        operationId: 'postHostedLoginContinue',
        tags,
        summary: 'Back to the application from the live SSO session (after the recovery codes page); 303 to the redirect URI with a code',
        params: slugParams,
        body: z.object({ request: z.string().optional(), csrf: z.string().optional() }),
        response: { 200: html.describe('not sent: the answer is the 303 (listed for tools that expect a 2xx)'), 303: z.null(), 400: html, 401: html },
      },
    },
    async (request, reply) => {
      const cookies = parseCookies(request.headers.cookie);
      return sendHosted(reply, continueSignIn(deps, request.params.slug, request.body, { sso: cookies[SSO_COOKIE], csrf: cookies[CSRF_COOKIE] }));
    },
  );
  // ── end hosted TOTP enrolment ──

  // ── Magic links on the hosted page (issue 13 §2) ──
  oauth.post(
    '/t/:slug/login/magic-link',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedMagicLinkRequest',
        tags,
        summary: '"Email me a link" on the hosted page (tenants that enable it; form post, CSRF-protected): the same answer for every address',
        params: slugParams,
        body: z.object({ request: z.string().optional(), csrf: z.string().optional(), email: z.string().optional(), password: z.string().optional() }),
        response: { 200: html, 404: html },
      },
    },
    async (request, reply) =>
      sendHosted(reply, requestHostedMagicLink(deps, caller, request.params.slug, request.body, parseCookies(request.headers.cookie)[CSRF_COOKIE], clientOf(request))),
  );
  oauth.get(
    '/t/:slug/login/magic-link',
    {
      config: { page: true },
      schema: {
        operationId: 'getHostedMagicLink',
        tags,
        summary: 'The page a mailed sign-in link opens: a button continues the sign-in (opening it spends nothing)',
        params: slugParams,
        querystring: z.object({ token: z.string().max(200).optional(), request: z.string().max(8192).optional() }),
        response: { 200: html, 400: html },
      },
    },
    async (request, reply) => sendHosted(reply, magicLinkLanding(deps, request.params.slug, request.query)),
  );
  oauth.post(
    '/t/:slug/login/magic-link/verify',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedMagicLinkVerify',
        tags,
        summary: 'Spends the sign-in link and continues the hosted sign-in (MFA still applies); 303 to the redirect URI with a code',
        params: slugParams,
        body: z.object({ request: z.string().optional(), csrf: z.string().optional(), token: z.string().max(200).optional() }),
        response: { 200: html, 303: z.null(), 400: html },
      },
    },
    async (request, reply) =>
      sendHosted(reply, await submitMagicLink(deps, caller, request.params.slug, request.body, parseCookies(request.headers.cookie)[CSRF_COOKIE], clientOf(request))),
  );
  // ── end magic links ──

  // ── Passkeys: the hosted account page and "Use a passkey" (issue 13 §3) ──
  const passkeyScript = readAsset('templates/pages/passkeys.js');
  oauth.get(
    '/t/:slug/assets/passkeys.js',
    { schema: { operationId: 'getPasskeyScript', tags, summary: 'The WebAuthn ceremony script of the hosted pages', params: slugParams, response: { 200: z.string().describe('application/javascript') } } },
    async (_request, reply) => reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(passkeyScript),
  );
  oauth.post(
    '/t/:slug/login/passkey',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedPasskeySignIn',
        tags,
        summary: 'Sign in with a passkey (discoverable, user verification required; counts as MFA); 303 to the redirect URI with a code',
        params: slugParams,
        body: z.object({ request: z.string().optional(), csrf: z.string().optional(), ceremony: z.string().max(2048).optional(), response: z.string().max(16384).optional() }),
        response: { 200: html.describe('the sign-in form again, saying why'), 303: z.null(), 401: html },
      },
    },
    async (request, reply) =>
      sendHosted(reply, await submitPasskeySignIn(deps, caller, request.params.slug, request.body, parseCookies(request.headers.cookie)[CSRF_COOKIE], clientOf(request))),
  );
  const accountCookies = (request: FastifyRequest) => {
    const cookies = parseCookies(request.headers.cookie);
    return { sso: cookies[SSO_COOKIE], csrf: cookies[CSRF_COOKIE] };
  };
  oauth.get(
    '/t/:slug/account',
    {
      config: { page: true },
      schema: {
        operationId: 'getHostedAccount',
        tags,
        summary: "The hosted account page (signed in by the tenant's SSO cookie): the user's passkeys",
        params: slugParams,
        querystring: z.object({ done: z.string().max(20).optional() }),
        response: { 200: html, 401: html },
      },
    },
    async (request, reply) => sendHosted(reply, await accountPage(deps, request.params.slug, accountCookies(request), ACCOUNT_NOTICES[request.query.done ?? ''])),
  );
  oauth.post(
    '/t/:slug/account/passkeys',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedPasskeyRegistration',
        tags,
        summary: 'Register a passkey from the account page (form post with the WebAuthn answer, CSRF-protected); 303 back to the page',
        params: slugParams,
        body: z.object({ csrf: z.string().optional(), ceremony: z.string().max(2048).optional(), response: z.string().max(16384).optional(), name: z.string().max(200).optional() }),
        response: { 200: html.describe('the page again, saying why'), 303: z.null(), 401: html },
      },
    },
    async (request, reply) => sendHosted(reply, await submitPasskeyRegistration(deps, request.params.slug, request.body, accountCookies(request))),
  );
  oauth.post(
    '/t/:slug/account/passkeys/remove',
    {
      config: { page: true },
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'postHostedPasskeyRemoval',
        tags,
        summary: 'Remove one of your passkeys from the account page (form post, CSRF-protected); 303 back to the page',
        params: slugParams,
        body: z.object({ csrf: z.string().optional(), credential_id: z.string().max(1024).optional() }),
        response: { 200: html.describe('the page again, saying why'), 303: z.null(), 401: html },
      },
    },
    async (request, reply) => sendHosted(reply, await submitPasskeyRemoval(deps, request.params.slug, request.body, accountCookies(request))),
  );
  // ── end passkeys ──
}
