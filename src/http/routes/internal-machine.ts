import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { AppError, notFound, validationError } from '../../app/errors.ts';
import { internalApiKeyHolder } from '../../authorization/principal.ts';
import { ok } from '../envelope.ts';
import { sameSecret } from '../../tokens/opaque-tokens.ts';
import { revokeEverySession, revokeSessionById } from '../../sessions/sign-out.ts';
import { findUserById } from '../../identity/users.ts';
import { userContext } from '../../memberships/user-context.ts';
import { resolveCompany } from '../../tenants/tenants.ts';
import { envelope, ErrorEnvelope, UserContextOut, Uuid } from '../schemas/user-admin.ts';

/** Audit actor for calls made with the internal API key: a backend, not a person. */
export const INTERNAL_KEY_ACTOR = internalApiKeyHolder('http');

const errors = { 400: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope };

const ResolvedCompany = z
  .object({ companyId: Uuid, slug: z.string(), name: z.string(), legacyCode: z.string().nullable(), status: z.enum(['active', 'disabled']) })
  .meta({ id: 'ResolvedCompany' });

/**
 * Seed 002 §5.3 machine routes, authenticated by X-Internal-API-Key. Registered only when
 * KIMAUTH_INTERNAL_API_KEY is set; otherwise the paths do not exist (404).
 */
export function internalMachineRoutes(app: App, deps: Deps): void {
  const key = deps.config.internalApiKey;
  if (!key) return;
  // onRequest: the key is checked before the body is parsed or validated (a caller without it learns no field names).
  const requireKey = async (request: FastifyRequest) => {
    const presented = request.headers['x-internal-api-key'];
    if (typeof presented !== 'string' || !sameSecret(presented, key)) {
      throw new AppError('forbidden', 'Missing or invalid X-Internal-API-Key');
    }
  };
  const security = [{ internalApiKey: [] }];

  app.post(
    '/internal/sessions/:id/revoke',
    {
      onRequest: requireKey,
      schema: {
        operationId: 'revokeSession',
        tags: ['internal machine'],
        summary: 'Revoke one session',
        security,
        params: z.object({ id: Uuid }),
        response: { 200: envelope(z.object({ status: z.literal('revoked'), sessionId: Uuid, alreadyRevoked: z.boolean() })), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const revoked = revokeSessionById(deps, id, 'internal_api', INTERNAL_KEY_ACTOR);
      return ok({ status: 'revoked' as const, sessionId: id, alreadyRevoked: !revoked });
    },
  );

  app.post(
    '/internal/users/:id/revoke-all',
    {
      onRequest: requireKey,
      schema: {
        operationId: 'revokeUserSessions',
        tags: ['internal machine'],
        summary: 'Revoke every session of a user and bump tokenVersion',
        security,
        params: z.object({ id: Uuid }),
        response: {
          200: envelope(z.object({ status: z.literal('revoked'), userId: Uuid, revokedSessions: z.number().int(), tokenVersion: z.number().int() })),
          ...errors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!findUserById(deps, id)) throw notFound(`User "${id}"`);
      const revokedSessions = revokeEverySession(deps, id, 'internal_api', INTERNAL_KEY_ACTOR);
      return ok({ status: 'revoked' as const, userId: id, revokedSessions, tokenVersion: findUserById(deps, id)!.tokenVersion });
    },
  );

  app.get(
    '/internal/users/:id/context',
    {
      onRequest: requireKey,
      schema: {
        operationId: 'getUserContext',
        tags: ['internal machine'],
        summary: 'User fields and memberships, same shape as GET /auth/me',
        security,
        params: z.object({ id: Uuid }),
        response: { 200: envelope(UserContextOut), ...errors },
      },
    },
    async (request) => ok(userContext(deps, INTERNAL_KEY_ACTOR, request.params.id)),
  );

  app.get(
    '/internal/companies/resolve',
    {
      onRequest: requireKey,
      schema: {
        operationId: 'resolveCompany',
        tags: ['internal machine'],
        summary: 'Resolve a company id, slug or legacy code to the canonical companyId',
        security,
        querystring: z.object({ raw: z.string().max(200).optional() }),
        response: { 200: envelope(ResolvedCompany), ...errors },
      },
    },
    async (request) => {
      const raw = request.query.raw?.trim();
      if (!raw) throw validationError('raw is required');
      const tenant = resolveCompany(deps, raw);
      return ok({ companyId: tenant.id, slug: tenant.slug, name: tenant.name, legacyCode: tenant.legacyCode, status: tenant.status });
    },
  );
}
