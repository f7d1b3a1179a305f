import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { displayName, withoutControlCharacters } from '../../app/plain-text.ts';
import { ok } from '../envelope.ts';
import { principalOf } from '../plugins/authenticate.ts';
import { AUTH_PROVIDERS } from '../../identity/tables.ts';
import { signInWithPassword } from '../../mfa/sign-in.ts';
import { LoginResponse } from '../schemas/mfa.ts';
import { dummyPasswordHash } from '../../identity/passwords.ts';
import { assertRegistrationOpen, registerUser } from '../../identity/registration.ts';
import { userContext } from '../../memberships/user-context.ts';
import { confirmPasswordReset, requestPasswordResetAfterResponse } from '../../identity/password-reset.ts';
import { refreshSession } from '../../sessions/refresh.ts';
import { logout, logoutEverywhere } from '../../sessions/sign-out.ts';
import { ANONYMOUS_HTTP } from '../../audit/actors.ts';
import { callerOf, userCallerOf } from '../caller.ts';

/** "" (and null) mean "not given" for optional strings, as existing clients send them (seed 002 §4.1). */
const optionalText = <T extends z.ZodType<string>>(schema: T) =>
  z.union([z.literal(''), z.null(), schema]).optional().transform((v) => (v ? (v as z.output<T>) : undefined));

const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

const RegisterBody = z.object({
  email: z.string().max(254),
  password: z.string(),
  fullName: displayName(200),
  phoneNumber: optionalText(withoutControlCharacters(z.string().max(64))),
  profilePictureUrl: optionalText(z.url().max(2048)),
  authProvider: optionalText(z.enum(AUTH_PROVIDERS)),
});

const LoginBody = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
  accountType: z.string().optional().describe('"", "internal" or "auto" (password login); "vendor" → 501'),
});

const RefreshTokenBody = z.object({ refreshToken: z.string().min(1).max(512) });

const TokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
  tokenType: z.literal('Bearer'),
});

const StatusOk = z.object({ status: z.literal('ok') });

const MeSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  sessionId: z.string(),
  authType: z.string(),
  globalRole: z.string(),
  roles: z.string(),
  tokenVersion: z.number().int(),
  isVendor: z.boolean(),
  vendorId: z.string().nullable(),
  approvalStatus: z.string(),
  isActive: z.boolean(),
  authProvider: z.string(),
  phoneNumber: z.string().nullable(),
  profilePictureUrl: z.string().nullable(),
  companyMemberships: z.array(z.record(z.string(), z.unknown())),
  businessUnitMemberships: z.array(z.record(z.string(), z.unknown())),
});

const ResetRequestBody = z.object({ email: z.string().max(254), accountType: z.string().optional() });
const ResetConfirmBody = z.object({ token: z.string().min(1).max(512), newPassword: z.string() });

/** The public auth API of seed 002 §4.1–§4.6 and §4.8. */
export function authRoutes(app: App, deps: Deps): void {
  // One bucket per IP shared with set-password and invitation accept (app.ipRateLimit); the per-account
  // sign-in slowdown is separate.
  const rateLimit = app.ipRateLimit;
  const throttle = deps.loginThrottle;
  // Computed now, so the first sign-in with an unknown email does not take longer than the ones after it.
  void dummyPasswordHash();
  const client = (request: { ip: string; headers: Record<string, unknown> }) => ({
    ip: request.ip,
    userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
  });
  const bearer = [{ bearerAuth: [] }];

  app.post(
    '/auth/register',
    {
      // Counted and refused before the body is even validated.
      onRequest: rateLimit,
      preValidation: async () => assertRegistrationOpen(deps),
      schema: {
        operationId: 'registerUser',
        tags: ['auth'],
        summary: 'Self-service registration (KIMAUTH_PUBLIC_REGISTRATION=true); the account waits for approval',
        body: RegisterBody,
        response: { 201: envelope(z.object({ email: z.string(), status: z.literal('pending') })) },
      },
    },
    async (request, reply) => {
      const result = await registerUser(deps, ANONYMOUS_HTTP, request.body, client(request));
      return reply.status(201).send(ok(result));
    },
  );

  app.post(
    '/auth/login',
    {
      onRequest: rateLimit,
      schema: {
        operationId: 'login',
        tags: ['auth'],
        summary: 'Email/password sign-in: the token pair, or for a user with MFA (or whose tenant requires it) the MFA step',
        body: LoginBody,
        response: { 200: envelope(LoginResponse) },
      },
    },
    async (request) => ok(await signInWithPassword(deps, ANONYMOUS_HTTP, request.body, client(request), throttle)),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        operationId: 'refreshTokens',
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new pair (the presented one is spent)',
        body: RefreshTokenBody,
        response: { 200: envelope(TokenPairSchema) },
      },
    },
    async (request) => ok(await refreshSession(deps, ANONYMOUS_HTTP, request.body.refreshToken)),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        operationId: 'logout',
        tags: ['auth'],
        summary: "End the refresh token's session (idempotent: unknown tokens also answer ok)",
        body: RefreshTokenBody,
        response: { 200: envelope(StatusOk) },
      },
    },
    async (request) => {
      logout(deps, ANONYMOUS_HTTP, request.body.refreshToken);
      return ok({ status: 'ok' as const });
    },
  );

  app.post(
    '/auth/logout-all',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'logoutEverywhere',
        tags: ['auth'],
        summary: "End every session of the caller and invalidate all of the caller's access tokens",
        security: bearer,
        response: { 200: envelope(StatusOk) },
      },
    },
    async (request) => {
      logoutEverywhere(deps, userCallerOf(request), principalOf(request).sessionId);
      return ok({ status: 'ok' as const });
    },
  );

  app.get(
    '/auth/me',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'getMe', tags: ['auth'], summary: 'The caller with its memberships', security: bearer, response: { 200: envelope(MeSchema) } },
    },
    async (request) => {
      const principal = principalOf(request);
      const user = userContext(deps, callerOf(request), principal.userId);
      const { companyMemberships, businessUnitMemberships, ...profile } = user;
      return ok({
        ...profile,
        sessionId: principal.sessionId,
        authType: principal.claims.authType,
        companyMemberships,
        businessUnitMemberships,
      });
    },
  );

  app.post(
    '/auth/password-reset/request',
    {
      onRequest: rateLimit,
      schema: {
        operationId: 'requestPasswordReset',
        tags: ['auth'],
        summary: 'Mail a one-time reset link; always ok (no account enumeration)',
        body: ResetRequestBody,
        response: { 200: envelope(z.object({ status: z.literal('ok'), token: z.string().optional() })) },
      },
    },
    async (request) => ok(requestPasswordResetAfterResponse(deps, ANONYMOUS_HTTP, request.body, client(request))),
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      // The token is a credential guessed by anonymous callers, like a password.
      onRequest: rateLimit,
      schema: {
        operationId: 'confirmPasswordReset',
        tags: ['auth'],
        summary: 'Set a new password with a reset token; ends every session',
        body: ResetConfirmBody,
        response: { 200: envelope(StatusOk) },
      },
    },
    async (request) => ok(await confirmPasswordReset(deps, ANONYMOUS_HTTP, request.body)),
  );
}
