import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { documentHook } from '../openapi.ts';
import { callerOf } from '../caller.ts';
import { ANONYMOUS_HTTP } from '../../audit/actors.ts';
import { confirmTotp, disableTotp, enrollTotp, regenerateRecoveryCodes } from '../../mfa/enrollment.ts';
import { verifyMfaSignIn } from '../../mfa/sign-in.ts';
import { mfaStatus } from '../../mfa/status.ts';
import {
  MfaStatusResponse,
  MfaVerifyBody,
  RegenerateBody,
  TokenPairResponse,
  TotpConfirmationResponse,
  TotpConfirmBody,
  TotpDisableBody,
  TotpEnrollBody,
  TotpEnrollmentResponse,
} from '../schemas/mfa.ts';

const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

/** TOTP MFA (issue 13 §1): the second sign-in step, enrolment, recovery codes. */
export function mfaRoutes(app: App, deps: Deps): void {
  const rateLimit = app.ipRateLimit;
  // Wrong codes slow down per (user, IP), as wrong passwords do per (account, IP).
  const throttle = deps.loginThrottle;
  const client = (request: FastifyRequest) => ({
    ip: request.ip,
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  });
  const bearer = [{ bearerAuth: [] }];
  // Enrol and confirm take a Bearer token, or (enrolment required at sign-in) an mfaToken in the body.
  const bearerIfSent = documentHook(
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.headers.authorization !== undefined) await app.authenticate(request, reply);
    },
    { security: [{ bearerAuth: [] }, {}] },
  );
  const callerOrAnonymous = (request: FastifyRequest) => (request.principal ? callerOf(request) : ANONYMOUS_HTTP);

  app.post(
    '/auth/mfa/verify',
    {
      onRequest: rateLimit,
      schema: {
        operationId: 'verifyMfa',
        tags: ['auth', 'mfa'],
        summary: 'Complete a sign-in answered with mfaRequired: the mfaToken and a TOTP code or a recovery code',
        body: MfaVerifyBody,
        response: { 200: envelope(TokenPairResponse) },
      },
    },
    async (request) => ok(await verifyMfaSignIn(deps, ANONYMOUS_HTTP, request.body, client(request), throttle)),
  );

  app.get(
    '/auth/mfa',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'getMfaStatus', tags: ['mfa'], summary: "The caller's MFA: TOTP state, recovery codes left, tenants requiring it", security: bearer, response: { 200: envelope(MfaStatusResponse) } },
    },
    async (request) => {
      const caller = callerOf(request);
      return ok(mfaStatus(deps, caller, caller.id));
    },
  );

  app.post(
    '/auth/mfa/totp/enroll',
    {
      onRequest: rateLimit,
      preHandler: bearerIfSent,
      schema: {
        operationId: 'enrollTotp',
        tags: ['mfa'],
        summary: 'Start TOTP enrolment: a new secret, its otpauth:// URI and a QR code (confirm with a first code)',
        body: TotpEnrollBody,
        response: { 200: envelope(TotpEnrollmentResponse) },
      },
    },
    async (request) => ok(await enrollTotp(deps, callerOrAnonymous(request), request.body ?? {})),
  );

  app.post(
    '/auth/mfa/totp/confirm',
    {
      onRequest: rateLimit,
      preHandler: bearerIfSent,
      schema: {
        operationId: 'confirmTotp',
        tags: ['mfa'],
        summary: 'Confirm TOTP enrolment with a first code; answers ten recovery codes, shown once',
        body: TotpConfirmBody,
        response: { 200: envelope(TotpConfirmationResponse) },
      },
    },
    async (request) => ok(await confirmTotp(deps, callerOrAnonymous(request), request.body, client(request), throttle)),
  );

  app.post(
    '/auth/mfa/totp/disable',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'disableTotp',
        tags: ['mfa'],
        summary: 'Turn TOTP off with a current code, a recovery code or the password (refused while a tenant requires MFA)',
        security: bearer,
        body: TotpDisableBody,
        response: { 200: envelope(z.object({ status: z.literal('disabled') })) },
      },
    },
    async (request) => ok(await disableTotp(deps, callerOf(request), request.body, client(request), throttle)),
  );

  app.post(
    '/auth/mfa/recovery-codes/regenerate',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'regenerateRecoveryCodes',
        tags: ['mfa'],
        summary: 'Ten new recovery codes (a current TOTP code required); the old ones stop working',
        security: bearer,
        body: RegenerateBody,
        response: { 200: envelope(z.object({ recoveryCodes: z.array(z.string()) })) },
      },
    },
    async (request) => ok(regenerateRecoveryCodes(deps, callerOf(request), request.body, client(request), throttle)),
  );
}
