import { withoutControlCharacters } from '../../app/plain-text.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { validationError } from '../../app/errors.ts';
import { COMPANY_ROLES } from '../../memberships/tables.ts';
import { INVITATION_STATUSES } from '../../invitations/tables.ts';
import { acceptInvitation, cancelInvitation, createInvitation, getInvitation, listInvitations, resendInvitation } from '../../invitations/invitations.ts';
import { findTenant } from '../../tenants/tenants.ts';
import { ANONYMOUS_HTTP } from '../../audit/actors.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { xOrgOf } from './me-access.ts';

// Documented as a header; its absence is answered by the route (400) after the Bearer check (401).
const xOrgHeader = z.object({ 'x-org': z.string().max(100).optional().describe('companyId (or slug) of the company; required') });
const idParams = z.object({ id: z.string().uuid() });

/**
 * Invitations (seed 002 §4.9). Every route but accept needs Bearer and the x-org company (id or slug; 400
 * without). Accept works without a Bearer token for new users (token + fullName + password; `name` is an alias); an existing
 * account accepts signed in as the invited email (Bearer) or with its password.
 */
export function invitationRoutes(app: App, deps: Deps): void {
  const security = [{ bearerAuth: [] }];
  const companyOf = (request: FastifyRequest): string => {
    const ref = xOrgOf(request.headers);
    if (!ref) throw validationError('The x-org header (companyId) is required');
    // Unknown companies fall through to the services' 404 (platform staff) or 403 (everyone else).
    return findTenant(deps, ref)?.id ?? ref;
  };

  app.post(
    '/auth/invitations',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'createInvitation',
        tags: ['invitations'],
        summary: 'Invite an email to the x-org company with a role and optional initial modules / permissions',
        security,
        headers: xOrgHeader,
        body: z.object({
          email: z.string().max(254),
          role: z.enum(COMPANY_ROLES),
          businessUnitId: z.string().min(1).max(100).optional(),
          modules: z.array(z.string().max(40)).max(200).optional(),
          permissions: z.array(z.string().max(128)).max(500).optional(),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(ok(await createInvitation(deps, callerOf(request), companyOf(request), request.body))),
  );

  app.get(
    '/auth/invitations',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'listInvitations', tags: ['invitations'], summary: 'Invitations of the x-org company', security, headers: xOrgHeader, querystring: z.object({ status: z.enum(INVITATION_STATUSES).optional() }) },
    },
    async (request) => ok(listInvitations(deps, callerOf(request), companyOf(request), request.query)),
  );

  app.get(
    '/auth/invitations/:id',
    { preHandler: app.authenticate, schema: { operationId: 'getInvitation', tags: ['invitations'], summary: 'One invitation of the x-org company', security, headers: xOrgHeader, params: idParams } },
    async (request) => ok(getInvitation(deps, callerOf(request), companyOf(request), request.params.id)),
  );

  app.post(
    '/auth/invitations/:id/resend',
    { preHandler: app.authenticate, schema: { operationId: 'resendInvitation', tags: ['invitations'], summary: 'New token and expiry, mailed again; the old link stops working', security, headers: xOrgHeader, params: idParams } },
    async (request) => ok(resendInvitation(deps, callerOf(request), companyOf(request), request.params.id)),
  );

  app.delete(
    '/auth/invitations/:id',
    { preHandler: app.authenticate, schema: { operationId: 'cancelInvitation', tags: ['invitations'], summary: 'Cancel an invitation', security, headers: xOrgHeader, params: idParams } },
    async (request) => ok(cancelInvitation(deps, callerOf(request), companyOf(request), request.params.id)),
  );

  // Bearer is optional here: checked when sent, absent for someone who has no account yet.
  const optionalBearer = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization) await app.authenticate(request, reply);
  };
  app.post(
    '/auth/invitations/accept',
    {
      // Takes a token and possibly a password from anonymous callers: the login bucket.
      onRequest: app.ipRateLimit,
      preHandler: optionalBearer,
      schema: {
        operationId: 'acceptInvitation',
        tags: ['invitations'],
        summary: 'Accept an invitation: creates or links the user, creates the membership with the invited role and grants',
        security: [{}, { bearerAuth: [] }],
        body: z.object({
          token: z.string().min(16).max(200),
          // `fullName` as in /auth/register and POST /internal/users; `name` stays accepted as an alias.
          fullName: withoutControlCharacters(z.string().max(200)).optional(),
          name: withoutControlCharacters(z.string().max(200)).optional(),
          password: z.string().max(1024).optional(),
        }),
      },
    },
    async (request) => {
      const ref = xOrgOf(request.headers);
      return ok(
        await acceptInvitation(deps, request.principal ? callerOf(request) : ANONYMOUS_HTTP, {
          token: request.body.token,
          password: request.body.password,
          name: request.body.fullName ?? request.body.name,
          companyId: ref ? (findTenant(deps, ref)?.id ?? ref) : undefined,
        }),
      );
    },
  );
}
