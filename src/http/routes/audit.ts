import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { notFound } from '../../app/errors.ts';
import { ok } from '../envelope.ts';
import { findTenant } from '../../tenants/tenants.ts';
import { headJson, latestAuditHead, listAuditHeads } from '../../audit/heads.ts';
import { parseSince } from '../../audit/entries.ts';

const slugParams = z.object({ slug: z.string().min(1).max(63) });

const headSchema = z.object({
  tenant: z.string(),
  slug: z.string(),
  seq: z.number().int(),
  hmac: z.string(),
  publishedAt: z.string(),
  kid: z.string(),
  jws: z.string().describe("Compact JWS (RS256, typ kimauth-audit-head+jws) over {tenant, slug, seq, hmac, publishedAt}; check it with the tenant's JWKS"),
});

/**
 * Published audit chain heads, public on purpose: a head reveals only how many events a tenant's chain holds
 * and an HMAC, and external collectors must be able to fetch them without credentials.
 */
export function auditRoutes(app: App, deps: Deps): void {
  const tenantBySlug = (slug: string) => {
    const tenant = findTenant(deps, slug);
    if (!tenant || tenant.slug !== slug) throw notFound(`Tenant "${slug}"`);
    return tenant;
  };

  app.get(
    '/t/:slug/audit/head',
    {
      schema: {
        operationId: 'getAuditHead',
        tags: ['audit'],
        summary: "The tenant's latest published audit chain head",
        params: slugParams,
        response: { 200: z.object({ success: z.literal(true), data: headSchema }) },
      },
    },
    async (request) => {
      const tenant = tenantBySlug(request.params.slug);
      const head = latestAuditHead(deps, tenant.id);
      if (!head) throw notFound('Published audit head');
      return ok(headJson(head, tenant.slug));
    },
  );

  app.get(
    '/t/:slug/audit/heads',
    {
      schema: {
        operationId: 'listAuditHeads',
        tags: ['audit'],
        summary: 'Published audit chain heads, oldest first, for external collectors',
        params: slugParams,
        querystring: z.object({
          since: z.string().optional().describe('only heads published after this (ISO time or epoch ms), exclusive'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
        response: { 200: z.object({ success: z.literal(true), data: z.array(headSchema) }) },
      },
    },
    async (request) => {
      const tenant = tenantBySlug(request.params.slug);
      const { since, limit } = request.query;
      const sinceMs = since === undefined ? undefined : parseSince(since, deps.clock.nowMs());
      return ok(listAuditHeads(deps, tenant.id, { sinceMs, limit }).map((h) => headJson(h, tenant.slug)));
    },
  );
}
