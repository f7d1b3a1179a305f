import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { checkAccessAs, checkAccessBatchAs } from '../../access-checks/caller-operations.ts';
import { MAX_BATCH } from '../../access-checks/decisions.ts';
import { TenantTokenVerifier } from '../../tokens/tenant-tokens.ts';
import { AppError } from '../../app/errors.ts';
import { actAsGroup } from '../../sessions/act-as-group.ts';
import { resourceServerCallerOf } from '../../access-checks/resource-server-callers.ts';
import { tenantIssuer } from '../../agents/agent-tokens.ts';
import { findTenant } from '../../tenants/tenants.ts';
import { callerOf } from '../caller.ts';
import { tenantApi, tenantApiDocs } from '../tenant-api.ts';
import { ok } from '../envelope.ts';
import { bearerCredential } from '../bearer.ts';

const part = z.string().min(1).max(200);
const check = z.object({
  subject: z.union([z.string().min(20).max(8_000), z.object({ type: z.enum(['user', 'group', 'agent']), id: part })]),
  action: z.string().min(1).max(63),
  resource: z.object({ app: part, type: part, id: part }),
});

/**
 * The authorization check for resource servers (`POST /t/{slug}/v1/authorize`): one check, or a batch
 * (`{"checks": […]}`, up to 1,000) answered in order; and acting on behalf of a group (`…/v1/sessions/act-as`),
 * which takes the same tenant tokens as subjects.
 */
export function accessCheckRoutes(app: App, deps: Deps): void {
  // One per server: remembers verified subject tokens across requests.
  const verifier = new TenantTokenVerifier(deps);

  app.post(
    '/t/:slug/v1/authorize',
    {
      preHandler: async (request, reply) => {
        // A confidential client's own access token (client_credentials) first; everyone else as on every tenant route.
        const token = bearerCredential(request.headers.authorization);
        const client = token ? resourceServerCallerOf(deps, (request.params as { slug: string }).slug, token, 'http') : null;
        if (client) request.apiKeyPrincipal = client;
        else await app.authenticate(request, reply);
      },
      ...tenantApi('authorize:read'),
      schema: {
        operationId: 'checkAuthorization',
        tags: ['authorization'],
        summary:
          'May a subject (an access token of the tenant, or {type, id}) take an action on a resource? By permission (action:type in its can) or by ownership and the owner policy. Send {checks: […]} for many',
        ...tenantApiDocs('authorize:read'),
        params: z.object({ slug: z.string().min(1).max(63) }),
        body: z.union([check, z.object({ checks: z.array(check).min(1).max(MAX_BATCH) })]),
      },
    },
    async (request) => {
      const body = request.body;
      if ('checks' in body) return ok({ results: checkAccessBatchAs(deps, callerOf(request), request.params.slug, verifier, body.checks) });
      return ok(checkAccessAs(deps, callerOf(request), request.params.slug, verifier, body));
    },
  );

  const memberTokenOf = (header: string | undefined) => {
    const token = bearerCredential(header);
    if (!token) throw new AppError('unauthorized', "Send the member's tenant access token as Authorization: Bearer");
    return token;
  };

  app.post(
    '/t/:slug/v1/sessions/act-as',
    {
      ...tenantApi(null),
      // The credential before the body: a request without a live tenant token learns nothing else.
      onRequest: async (request) => {
        const token = memberTokenOf(request.headers.authorization);
        const tenant = findTenant(deps, (request.params as { slug: string }).slug);
        if (!tenant || !verifier.verify(tenant, tenantIssuer(deps, tenant.slug), token)) {
          throw new AppError('unauthorized', 'Invalid or expired access token');
        }
      },
      schema: {
        operationId: 'actAsGroup',
        tags: ['sessions'],
        summary: "Exchange a member's tenant access token (Authorization: Bearer) for a token acting as one of its groups: actor_type group, act.sub the user, the group's can",
        ...tenantApiDocs(null, "The credential is the member's own tenant access token."),
        params: z.object({ slug: z.string().min(1).max(63) }),
        body: z.object({ group: z.string().min(1).max(200) }),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return ok(await actAsGroup(deps, verifier, { slug: request.params.slug, userToken: memberTokenOf(request.headers.authorization), group: request.body.group, channel: 'http' }));
    },
  );
}
