import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../app/errors.ts';
import { activeAgentOfToken, exchangeAgentToken } from '../../agents/agent-tokens.ts';
import { findTenant } from '../../tenants/tenants.ts';
import { createAgentAs, getAgentAs, listAgentsAs, revokeAgentAs, rotateAgentTokenAs, updateAgentAs } from '../../agents/caller-operations.ts';
import { callerOf } from '../caller.ts';
import { tenantApi, tenantApiDocs } from '../tenant-api.ts';
import { ok } from '../envelope.ts';
import { bearerCredential } from '../bearer.ts';

const security = [{ bearerAuth: [] }];
const slugParams = z.object({ slug: z.string().min(1).max(63) });
const refParams = slugParams.extend({ agent: z.string().min(1).max(100) });
const owner = z.object({ type: z.enum(['user', 'group']), id: z.string().min(1).max(200) });
const list = z.array(z.string().min(1).max(200)).max(200);
/** Lifetime in seconds from now (60 s … 5 years). */
const expiresIn = z.number().int().min(60).max(5 * 366 * 86_400);

/**
 * Agents of a tenant (`/t/{slug}/api/v1/agents…`) and their token exchange (`/t/{slug}/v1/agents/token`). The API
 * token is in the answer of create and rotate-token only.
 */
export function agentsRoutes(app: App, deps: Deps): void {
  const tags = ['agents'];
  // One per server: a leaked agent token cannot make this process sign without end.
  const limiter = deps.agentExchangeLimiter;

  app.get(
    '/t/:slug/api/v1/agents',
    { preHandler: app.authenticate, ...tenantApi('agents:read'), schema: { operationId: 'listAgents', tags, summary: "The tenant's agents (tenant admins: all; others: their own)", ...tenantApiDocs('agents:read'), params: slugParams } },
    async (request) => ok(listAgentsAs(deps, callerOf(request), request.params.slug)),
  );

  app.post(
    '/t/:slug/api/v1/agents',
    {
      preHandler: app.authenticate, ...tenantApi('agents:write'),
      schema: {
        operationId: 'createAgent',
        tags,
        summary: "Create an agent; its permissions must be a subset of the owner's. The API token is in this answer only",
        ...tenantApiDocs('agents:write'),
        params: slugParams,
        body: z.object({ name: z.string().min(1).max(100), owner: owner.optional(), permissions: list.min(1), audiences: list.min(1), expiresInSeconds: expiresIn.optional() }),
      },
    },
    async (request, reply) => {
      const { agent, token } = createAgentAs(deps, callerOf(request), request.params.slug, request.body);
      reply.code(201);
      return ok({ agent, token });
    },
  );

  app.get(
    '/t/:slug/api/v1/agents/:agent',
    { preHandler: app.authenticate, ...tenantApi('agents:read'), schema: { operationId: 'getAgent', tags, summary: 'One agent, by id or name (never its token)', ...tenantApiDocs('agents:read'), params: refParams } },
    async (request) => ok(getAgentAs(deps, callerOf(request), request.params.slug, request.params.agent)),
  );

  app.patch(
    '/t/:slug/api/v1/agents/:agent',
    {
      preHandler: app.authenticate, ...tenantApi('agents:write'),
      schema: {
        operationId: 'updateAgent',
        tags,
        summary: 'Rename an agent or change its permissions (still within the owner’s), audiences or expiry',
        ...tenantApiDocs('agents:write'),
        params: refParams,
        body: z.object({ name: z.string().min(1).max(100).optional(), permissions: list.min(1).optional(), audiences: list.min(1).optional(), expiresInSeconds: expiresIn.nullable().optional() }),
      },
    },
    async (request) => ok(updateAgentAs(deps, callerOf(request), request.params.slug, request.params.agent, request.body)),
  );

  app.post(
    '/t/:slug/api/v1/agents/:agent/rotate-token',
    { preHandler: app.authenticate, ...tenantApi('agents:write'), schema: { operationId: 'rotateAgentToken', tags, summary: 'A new API token (in this answer only); the old one stops working at once', ...tenantApiDocs('agents:write'), params: refParams } },
    async (request) => ok(rotateAgentTokenAs(deps, callerOf(request), request.params.slug, request.params.agent)),
  );

  app.post(
    '/t/:slug/api/v1/agents/:agent/revoke',
    { preHandler: app.authenticate, ...tenantApi('agents:write'), schema: { operationId: 'revokeAgent', tags, summary: 'Revoke an agent for good: its next exchange fails', ...tenantApiDocs('agents:write'), params: refParams } },
    async (request) => ok(revokeAgentAs(deps, callerOf(request), request.params.slug, request.params.agent)),
  );

  /** The credential is checked before the body is parsed: a request without a live agent token learns nothing else. */
  const bearerOf = (header: string | undefined) => {
    const token = bearerCredential(header);
    if (!token) throw new AppError('unauthorized', 'Send the agent API token as Authorization: Bearer kimauth_…_agt_…');
    return token;
  };

  app.post(
    '/t/:slug/v1/agents/token',
    {
      ...tenantApi(null),
      onRequest: async (request) => {
        const token = bearerOf(request.headers.authorization);
        // An unknown tenant answers like a bad token: the endpoint does not tell which tenants exist.
        const tenant = findTenant(deps, (request.params as { slug: string }).slug);
        if (!tenant) throw new AppError('unauthorized', 'Invalid or revoked agent token');
        activeAgentOfToken(deps, tenant, token);
      },
      schema: {
        operationId: 'exchangeAgentToken',
        tags,
        summary: 'Exchange an agent API token (Authorization: Bearer kimauth_{slug}_agt_…) for a short-lived JWT signed with the tenant key',
        ...tenantApiDocs(null, 'The credential is the agent API token itself (`Authorization: Bearer kimauth_{slug}_agt_…`).'),
        params: slugParams,
        body: z.object({ audience: z.string().min(1).max(200).optional() }).nullish(),
      },
    },
    async (request, reply) => {
      const token = await exchangeAgentToken(deps, request.params.slug, bearerOf(request.headers.authorization), { audience: request.body?.audience, limiter });
      reply.header('cache-control', 'no-store');
      return ok(token);
    },
  );
}
