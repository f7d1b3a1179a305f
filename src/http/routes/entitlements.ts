import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { forbidden } from '../../app/errors.ts';
import { userActor } from '../../audit/actors.ts';
import { getCompanyEntitlements, setCompanyEntitlements, type CompanyEntitlements } from '../../access/entitlements.ts';
import { isPlatformAdmin, isPlatformStaff } from '../../access/platform-staff.ts';
import { getTenant } from '../../tenants/tenants.ts';
import { getCompany } from '../../memberships/memberships.ts';
import { ok } from '../envelope.ts';
import { principalOf } from '../plugins/authenticate.ts';

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
      schema: { tags: ['access'], summary: 'Modules a company has (platform staff)', security: [{ bearerAuth: [] }], params: companyParams },
    },
    async (request) => {
      if (!isPlatformStaff(principalOf(request).globalRole)) throw forbidden('Entitlements are for platform staff');
      const company = getCompany(deps, getTenant(deps, request.params.companyId).id);
      return ok(entitlementsJson(await getCompanyEntitlements(deps, company.id)));
    },
  );

  app.put(
    '/internal/companies/:companyId/entitlements',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['access'],
        summary: 'Replace the modules a company has (PLATFORM_ADMIN / PLATFORM_SUPERADMIN)',
        security: [{ bearerAuth: [] }],
        params: companyParams,
        body: z.object({ modules: z.array(z.string().max(40)).max(200) }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!isPlatformAdmin(principal.globalRole)) throw forbidden('Only PLATFORM_ADMIN or PLATFORM_SUPERADMIN may set entitlements');
      const company = getCompany(deps, getTenant(deps, request.params.companyId).id);
      return ok(entitlementsJson(setCompanyEntitlements(deps, company, request.body.modules, userActor(principal.userId))));
    },
  );
}
