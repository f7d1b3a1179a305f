import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { ANONYMOUS_HTTP } from '../../audit/actors.ts';
import { requestMagicLinkAfterResponse, verifyMagicLink } from '../../magic-links/magic-links.ts';
import { LoginResponse, MagicLinkRequestBody, MagicLinkVerifyBody } from '../schemas/mfa.ts';

const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

/** Sign-in by emailed link (issue 13 §2). */
export function magicLinkRoutes(app: App, deps: Deps): void {
  const rateLimit = app.ipRateLimit;
  const perAddress = deps.magicLinkRequestLimit;
  const client = (request: FastifyRequest) => ({
    ip: request.ip,
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  });

  app.post(
    '/auth/magic-link/request',
    {
      onRequest: rateLimit,
      schema: {
        operationId: 'requestMagicLink',
        tags: ['auth'],
        summary: 'Mail a one-time sign-in link (15 min) to {KIMAUTH_FRONTEND_URL}/magic-link?token=…; always ok (no account enumeration)',
        body: MagicLinkRequestBody,
        response: { 200: envelope(z.object({ status: z.literal('ok') })) },
      },
    },
    async (request) => ok(requestMagicLinkAfterResponse(deps, ANONYMOUS_HTTP, request.body, client(request), perAddress)),
  );

  app.post(
    '/auth/magic-link/verify',
    {
      onRequest: rateLimit,
      schema: {
        operationId: 'verifyMagicLink',
        tags: ['auth'],
        summary: 'Sign in with the token of a magic link: the login response (or mfaRequired when the user has MFA)',
        body: MagicLinkVerifyBody,
        response: { 200: envelope(LoginResponse) },
      },
    },
    async (request) => ok(await verifyMagicLink(deps, ANONYMOUS_HTTP, request.body, client(request))),
  );
}
