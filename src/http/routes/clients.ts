import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { tenantApi, tenantApiDocs } from '../tenant-api.ts';
import {
  clientMetadata,
  createClient,
  deleteClient,
  listClients,
  rotateClientSecret,
  showClient,
  updateClient,
  type ClientSettings,
} from '../../clients/clients.ts';

const needs = (scope: string) =>
  `Needs \`${scope}\`: an API key with that scope, or a Bearer token of platform staff (writes: a platform admin) or the tenant's TENANT_SUPERADMIN/ADMIN.`;

const slugParams = z.object({ slug: z.string().min(1).max(63) });
const clientParams = slugParams.extend({ clientId: z.string().min(1).max(100) });

const settingsBody = z.object({
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
  post_logout_redirect_uris: z.array(z.string().max(2000)).max(50).optional(),
  grant_types: z.array(z.string()).max(4).optional(),
  scope: z.string().max(2000).optional().describe('space-separated allowed scopes'),
  access_token_ttl: z.number().int().optional(),
  refresh_token_ttl: z.number().int().optional(),
  enabled: z.boolean().optional(),
});

const createBody = settingsBody.extend({
  client_name: z.string().min(1).max(200),
  client_type: z.enum(['public', 'confidential']).optional(),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).optional(),
  client_id: z.string().min(2).max(100).optional(),
});

const metadata = z
  .object({
    client_id: z.string(),
    client_secret: z.string().optional().describe('only when created or rotated; stored hashed, never shown again'),
    client_name: z.string(),
    client_type: z.enum(['public', 'confidential']),
    token_endpoint_auth_method: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    scope: z.string(),
    access_token_ttl: z.number(),
    refresh_token_ttl: z.number(),
    enabled: z.boolean(),
    tenant: z.string(),
    client_id_issued_at: z.number(),
    updated_at: z.string(),
  })
  .passthrough();
const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

function settingsOf(body: z.infer<typeof settingsBody>): ClientSettings {
  return {
    name: body.client_name,
    redirectUris: body.redirect_uris,
    postLogoutRedirectUris: body.post_logout_redirect_uris,
    grantTypes: body.grant_types,
    scopes: body.scope === undefined ? undefined : body.scope.split(' ').filter(Boolean),
    accessTokenTtl: body.access_token_ttl,
    refreshTokenTtl: body.refresh_token_ttl,
    enabled: body.enabled,
  };
}

/** A tenant's applications over HTTP (issue 11 §1): platform staff and the tenant's TENANT_SUPERADMIN / ADMIN. */
export function clientsRoutes(app: App, deps: Deps): void {
  const tags = ['clients'];
  app.get(
    '/t/:slug/api/v1/clients',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:read'),
      schema: { operationId: 'listClients', ...tenantApiDocs('clients:read'), tags, summary: "The tenant's applications", params: slugParams, response: { 200: envelope(z.array(metadata)) } },
    },
    async (request) => ok(listClients(deps, callerOf(request), request.params.slug).map((c) => clientMetadata(c, request.params.slug))),
  );

  app.post(
    '/t/:slug/api/v1/clients',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:write'),
      schema: {
        operationId: 'createClient', ...tenantApiDocs('clients:write'),
        tags,
        summary: 'Register an application (RFC 7591 names); a confidential client gets its secret in this answer only',
        params: slugParams,
        body: createBody,
        response: { 201: envelope(metadata) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const type = b.client_type ?? (b.token_endpoint_auth_method === 'none' ? 'public' : 'confidential');
      const { client, clientSecret } = createClient(deps, callerOf(request), request.params.slug, {
        ...settingsOf(b),
        name: b.client_name,
        type,
        clientId: b.client_id,
      });
      return reply.status(201).send(ok(clientMetadata(client, request.params.slug, clientSecret)));
    },
  );

  app.get(
    '/t/:slug/api/v1/clients/:clientId',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:read'),
      schema: { operationId: 'getClient', ...tenantApiDocs('clients:read'), tags, summary: 'One application', params: clientParams, response: { 200: envelope(metadata) } },
    },
    async (request) => ok(clientMetadata(showClient(deps, callerOf(request), request.params.slug, request.params.clientId), request.params.slug)),
  );

  app.patch(
    '/t/:slug/api/v1/clients/:clientId',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:write'),
      schema: {
        operationId: 'updateClient', ...tenantApiDocs('clients:write'),
        tags,
        summary: "Change an application's settings (lists replace the old ones)",
        params: clientParams,
        body: settingsBody,
        response: { 200: envelope(metadata) },
      },
    },
    async (request) => {
      const c = updateClient(deps, callerOf(request), request.params.slug, request.params.clientId, settingsOf(request.body));
      return ok(clientMetadata(c, request.params.slug));
    },
  );

  app.post(
    '/t/:slug/api/v1/clients/:clientId/rotate-secret',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:write'),
      schema: {
        operationId: 'rotateClientSecret', ...tenantApiDocs('clients:write'),
        tags,
        summary: "Replace a confidential client's secret; the old one stops working at once",
        params: clientParams,
        response: { 200: envelope(metadata) },
      },
    },
    async (request) => {
      const { client, clientSecret } = rotateClientSecret(deps, callerOf(request), request.params.slug, request.params.clientId);
      return ok(clientMetadata(client, request.params.slug, clientSecret));
    },
  );

  app.delete(
    '/t/:slug/api/v1/clients/:clientId',
    {
      preHandler: app.authenticate,
      ...tenantApi('clients:write'),
      schema: {
        operationId: 'deleteClient', ...tenantApiDocs('clients:write'),
        tags,
        summary: 'Delete an application',
        params: clientParams,
        response: { 200: envelope(z.object({ deleted: z.literal(true), client_id: z.string() })) },
      },
    },
    async (request) => {
      deleteClient(deps, callerOf(request), request.params.slug, request.params.clientId);
      return ok({ deleted: true as const, client_id: request.params.clientId });
    },
  );
}
