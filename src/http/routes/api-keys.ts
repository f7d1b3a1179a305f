import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../api-keys/api-keys.ts';
import { ALL_SCOPES } from '../../authorization/scopes.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { tenantApi, tenantApiDocs } from '../tenant-api.ts';

const slugParams = z.object({ slug: z.string().min(1).max(63) });
const idParams = slugParams.extend({ id: z.string().min(1).max(100) });
const createBody = z.object({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1).max(ALL_SCOPES.length),
  expires: z.string().max(40).nullable().optional().describe('90d, 12h, 30m or an ISO 8601 instant; absent = never'),
});

/**
 * `/t/{slug}/api/v1/api-keys`: the tenant's TENANT_SUPERADMIN/ADMIN (and platform admins) issue, list and revoke
 * API keys. No API key may call these (no scope opens them), so a key never mints a wider one.
 */
export function apiKeysRoutes(app: App, deps: Deps): void {
  const tags = ['tenant API'];

  app.get(
    '/t/:slug/api/v1/api-keys',
    {
      preHandler: app.authenticate,
      ...tenantApi(null),
      schema: {
        operationId: 'listApiKeys',
        tags,
        summary: "The tenant's API keys (never the keys themselves)",
        ...tenantApiDocs(null),
        params: slugParams,
        querystring: z.object({ includeRevoked: z.enum(['true', 'false']).optional() }),
      },
    },
    async (request) => ok(listApiKeys(deps, callerOf(request), request.params.slug, { includeRevoked: request.query.includeRevoked === 'true' })),
  );

  app.post(
    '/t/:slug/api/v1/api-keys',
    {
      preHandler: app.authenticate,
      ...tenantApi(null),
      schema: {
        operationId: 'createApiKey',
        tags,
        summary: 'Issue an API key: `key` is in this response only (kimauth stores its SHA-256)',
        ...tenantApiDocs(null),
        params: slugParams,
        body: createBody,
      },
    },
    async (request, reply) => {
      const created = createApiKey(deps, callerOf(request), request.params.slug, request.body);
      reply.code(201);
      return ok(created);
    },
  );

  app.delete(
    '/t/:slug/api/v1/api-keys/:id',
    {
      preHandler: app.authenticate,
      ...tenantApi(null),
      schema: { operationId: 'revokeApiKey', tags, summary: 'Revoke an API key (by id or name); it is refused (401) from the next request on', ...tenantApiDocs(null), params: idParams },
    },
    async (request) => ok(revokeApiKey(deps, callerOf(request), request.params.slug, request.params.id)),
  );
}
