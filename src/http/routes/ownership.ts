import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { PROFILE_ACTOR_TYPES } from '../../payments/actors.ts';
import {
  getOwnershipAs,
  listOwnershipsAs,
  paymentProfileOfResourceAs,
  removeOwnershipAs,
  setOwnershipAs,
  transferOwnershipAs,
} from '../../ownership/caller-operations.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';

const security = [{ bearerAuth: [] }];
const part = z.string().min(1).max(200);
const slugParams = z.object({ slug: z.string().min(1).max(63) });
const resourceParams = slugParams.extend({ app: part, type: part, id: part });
const owner = z.object({ type: z.enum(PROFILE_ACTOR_TYPES), id: part });

/** `user:ID`, `group:ID` or `agent:ID` in a query string. */
const ownerQuery = z
  .string()
  .regex(/^(user|group|agent):.{1,200}$/, 'owner must be type:id, e.g. user:3f2c…')
  .transform((text) => {
    const colon = text.indexOf(':');
    return { type: text.slice(0, colon) as (typeof PROFILE_ACTOR_TYPES)[number], id: text.slice(colon + 1) };
  });

/**
 * The ownership registry (`/t/{slug}/v1/ownership/…`): who owns a resource of an application, and where its
 * money goes. kimauth stores the owner, never the resource.
 */
export function ownershipRoutes(app: App, deps: Deps): void {
  const tags = ['ownership'];
  const key = (p: { app: string; type: string; id: string }) => ({ app: p.app, type: p.type, id: p.id });

  app.get(
    '/t/:slug/v1/ownership',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listOwnerships',
        tags,
        summary: "The tenant's registered resources, a page at a time: one owner's (owner=type:id), or those whose owner left (orphaned=true)",
        security,
        params: slugParams,
        querystring: z.object({
          owner: ownerQuery.optional(),
          orphaned: z.enum(['true', 'false']).optional(),
          after: z.string().max(1000).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
    },
    async (request) => {
      const { owner: who, orphaned, after, limit } = request.query;
      return ok(listOwnershipsAs(deps, callerOf(request), request.params.slug, { owner: who, orphaned: orphaned === 'true', after, limit }));
    },
  );

  app.get(
    '/t/:slug/v1/ownership/:app/:type/:id',
    { preHandler: app.authenticate, schema: { operationId: 'getOwnership', tags, summary: 'The owner of a resource', security, params: resourceParams } },
    async (request) => ok(getOwnershipAs(deps, callerOf(request), request.params.slug, key(request.params))),
  );

  app.put(
    '/t/:slug/v1/ownership/:app/:type/:id',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setOwnership',
        tags,
        summary: 'Register the owner of a resource (201); the same owner again answers 200; another owner is a transfer (409)',
        security,
        params: resourceParams,
        body: z.object({ owner }),
      },
    },
    async (request, reply) => {
      const { ownership, created } = setOwnershipAs(deps, callerOf(request), request.params.slug, key(request.params), request.body.owner);
      reply.code(created ? 201 : 200);
      return ok(ownership);
    },
  );

  app.post(
    '/t/:slug/v1/ownership/:app/:type/:id/transfer',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'transferOwnership', tags, summary: 'Hand a resource to a new owner (the current owner or a tenant admin)', security, params: resourceParams, body: z.object({ owner }) },
    },
    async (request) => ok(transferOwnershipAs(deps, callerOf(request), request.params.slug, key(request.params), request.body.owner)),
  );

  app.delete(
    '/t/:slug/v1/ownership/:app/:type/:id',
    { preHandler: app.authenticate, schema: { operationId: 'removeOwnership', tags, summary: 'Forget who owns a resource (the application deleted it)', security, params: resourceParams } },
    async (request) => {
      removeOwnershipAs(deps, callerOf(request), request.params.slug, key(request.params));
      return ok({ removed: key(request.params) });
    },
  );

  app.get(
    '/t/:slug/v1/ownership/:app/:type/:id/payment-profile',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'getResourcePaymentProfile',
        tags: [...tags, 'payments'],
        summary: "Where the money for a resource goes: its owner's default payment profile (404 when the resource or the owner's profile is missing)",
        security,
        params: resourceParams,
      },
    },
    async (request) => ok(paymentProfileOfResourceAs(deps, callerOf(request), request.params.slug, key(request.params))),
  );
}
