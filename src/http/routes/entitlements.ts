import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { readCompanyEntitlements, setCompanyEntitlements, type CompanyEntitlements } from '../../access/entitlements.ts';
import { getCompanyById, getTenant } from '../../tenants/tenants.ts';
import { ok } from '../envelope.ts';
import { callerOf } from '../caller.ts';

const companyParams = z.object({ companyId: z.string().min(1).max(100) });

export function entitlementsJson(e: CompanyEntitlements) {
  return {
    companyId: e.companyId,
    modules: e.modules,
    source: e.source,
    ...(e.source === 'remote' ? { fetchedAt: e.fetchedAt?.toISOString() ?? null, stale: Boolean(e.stale) } : {}),
  };
}

/**
 * Company entitlements (level 1, seed 002 §13) as kimauth's own data: platform staff read them, platform
 * admins set them. The same path Platform Core serves, so kimauth can stand in for it.
 */
export function entitlementsRoutes(app: App, deps: Deps): void {
  app.get(
    '/internal/companies/:companyId/entitlements',
    {
      preHandler: app.authenticate,
      schema: { operationId: 'getCompanyEntitlements', tags: ['access'], summary: 'Modules a company has (platform staff)', security: [{ bearerAuth: [] }], params: companyParams },
    },
    async (request) => {
      const company = getCompanyById(deps, getTenant(deps, request.params.companyId).id);
      return ok(entitlementsJson(await readCompanyEntitlements(deps, callerOf(request), company)));
    },
  );

  app.put(
    '/internal/companies/:companyId/entitlements',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setCompanyEntitlements',
        tags: ['access'],
        summary: 'Replace the modules a company has (PLATFORM_ADMIN / PLATFORM_SUPERADMIN)',
        security: [{ bearerAuth: [] }],
        params: companyParams,
        body: z.object({ modules: z.array(z.string().max(40)).max(200) }),
      },
    },
    async (request) => {
      const company = getCompanyById(deps, getTenant(deps, request.params.companyId).id);
      return ok(entitlementsJson(setCompanyEntitlements(deps, company, request.body.modules, callerOf(request))));
    },
  );
}
