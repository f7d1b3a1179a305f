import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.ts';
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, testWebhook, updateWebhook } from '../../webhooks/webhooks.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { tenantApi, tenantApiDocs } from '../tenant-api.ts';

const slugParams = z.object({ slug: z.string().min(1).max(63) });
const idParams = slugParams.extend({ id: z.string().min(1).max(100) });
const events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const url = z.string().min(1).max(2000).describe('http(s) receiver URL; loopback/private/link-local targets are refused unless KIMAUTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true');
const description = z.string().max(500).nullable().optional();

/**
 * `/t/{slug}/api/v1/webhooks…`: a tenant's receivers of signed events (Standard Webhooks). Callers: the tenant's
 * TENANT_SUPERADMIN/ADMIN, platform staff (read) and admins, or API keys with webhooks:read / webhooks:write.
 */
export function webhooksRoutes(app: App, deps: Deps): void {
  const tags = ['tenant API'];
  const read = 'webhooks:read' as const;
  const write = 'webhooks:write' as const;

  app.get(
    '/t/:slug/api/v1/webhooks',
    { preHandler: app.authenticate, ...tenantApi(read), schema: { operationId: 'listWebhooks', tags, summary: "The tenant's webhooks (never their secrets)", ...tenantApiDocs(read), params: slugParams } },
    async (request) => ok(listWebhooks(deps, callerOf(request), request.params.slug)),
  );

  app.post(
    '/t/:slug/api/v1/webhooks',
    {
      preHandler: app.authenticate,
      ...tenantApi(write),
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register a receiver; `secret` (whsec_…) is in this response only',
        ...tenantApiDocs(write),
        params: slugParams,
        body: z.object({ url, events, description, enabled: z.boolean().optional() }),
      },
    },
    async (request, reply) => {
      const created = await createWebhook(deps, callerOf(request), request.params.slug, request.body);
      reply.code(201);
      return ok(created);
    },
  );

  app.get(
    '/t/:slug/api/v1/webhooks/:id',
    { preHandler: app.authenticate, ...tenantApi(read), schema: { operationId: 'getWebhook', tags, summary: 'One webhook', ...tenantApiDocs(read), params: idParams } },
    async (request) => ok(getWebhook(deps, callerOf(request), request.params.slug, request.params.id)),
  );

  app.patch(
    '/t/:slug/api/v1/webhooks/:id',
    {
      preHandler: app.authenticate,
      ...tenantApi(write),
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Change a webhook; `rotateSecret: true` answers with the new secret, once',
        ...tenantApiDocs(write),
        params: idParams,
        body: z.object({ url: url.optional(), events: events.optional(), description, enabled: z.boolean().optional(), rotateSecret: z.boolean().optional() }),
      },
    },
    async (request) => ok(await updateWebhook(deps, callerOf(request), request.params.slug, request.params.id, request.body)),
  );

  app.delete(
    '/t/:slug/api/v1/webhooks/:id',
    { preHandler: app.authenticate, ...tenantApi(write), schema: { operationId: 'deleteWebhook', tags, summary: 'Delete a webhook and its undelivered events', ...tenantApiDocs(write), params: idParams } },
    async (request) => {
      deleteWebhook(deps, callerOf(request), request.params.slug, request.params.id);
      return ok({ deleted: request.params.id });
    },
  );

  app.post(
    '/t/:slug/api/v1/webhooks/:id/test',
    {
      preHandler: app.authenticate,
      ...tenantApi(write),
      schema: { operationId: 'testWebhook', tags, summary: 'Send a signed webhook.test event now; answers with the delivery', ...tenantApiDocs(write), params: idParams },
    },
    async (request) => ok(await testWebhook(deps, callerOf(request), request.params.slug, request.params.id)),
  );

  app.get(
    '/t/:slug/api/v1/webhooks/:id/deliveries',
    {
      preHandler: app.authenticate,
      ...tenantApi(read),
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: "A webhook's recent deliveries, newest first",
        ...tenantApiDocs(read),
        params: idParams,
        querystring: z.object({ status: z.enum(['pending', 'sent', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(500).optional() }),
      },
    },
    async (request) => ok(listDeliveries(deps, callerOf(request), request.params.slug, { webhookId: request.params.id, ...request.query })),
  );
}
