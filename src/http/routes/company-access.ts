import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { getMembershipAccess, readDelegationPolicy, setDelegationPolicy, setMembershipAccess, type MembershipAccessView } from '../../access/membership-access.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';

const memberParams = z.object({ companyId: z.string().uuid(), userId: z.string().uuid() });
const companyParams = z.object({ companyId: z.string().uuid() });
const names = z.array(z.string().max(128)).max(500);
const limit = z.object({ modules: names, permissions: names }).nullable();

export function membershipAccessJson(view: MembershipAccessView) {
  return {
    companyId: view.companyId,
    userId: view.userId,
    role: view.role,
    isActive: view.isActive,
    modules: view.grants.modules,
    permissions: view.grants.permissions,
    effective: view.effective,
  };
}

/**
 * Level 2 and 3 of a membership (module grants, permissions) and the company's delegation limits (§15).
 * Every grant is checked against what the caller controls; a request reaching beyond it changes nothing.
 */
export function companyAccessRoutes(app: App, deps: Deps): void {
  const security = [{ bearerAuth: [] }];

  app.get(
    '/internal/companies/:companyId/users/:userId/access',
    { preHandler: app.authenticate, schema: { operationId: 'getMemberAccess', tags: ['access'], summary: "A member's module grants, permissions and effective access", security, params: memberParams } },
    async (request) => ok(membershipAccessJson(await getMembershipAccess(deps, callerOf(request), request.params.companyId, request.params.userId))),
  );

  app.put(
    '/internal/companies/:companyId/users/:userId/access',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setMemberAccess',
        tags: ['access'],
        summary: "Replace a member's module grants and/or permissions (within the caller's delegation)",
        security,
        params: memberParams,
        body: z.object({ modules: names.optional(), permissions: names.optional() }),
      },
    },
    async (request) =>
      ok(membershipAccessJson(await setMembershipAccess(deps, callerOf(request), request.params.companyId, request.params.userId, request.body))),
  );

  app.get(
    '/internal/companies/:companyId/delegation-limits',
    { preHandler: app.authenticate, schema: { operationId: 'getDelegationLimits', tags: ['access'], summary: 'What ADMIN and MANAGER may hand out in this company', security, params: companyParams } },
    async (request) => ok(readDelegationPolicy(deps, callerOf(request), request.params.companyId)),
  );

  app.put(
    '/internal/companies/:companyId/delegation-limits',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setDelegationLimits',
        tags: ['access'],
        summary: 'Set delegation limits (TENANT_SUPERADMIN or platform admins); null = no limit beyond the role rule',
        security,
        params: companyParams,
        body: z.object({ limits: z.object({ ADMIN: limit.optional(), MANAGER: limit.optional() }).optional(), managersMayInvite: z.boolean().optional() }),
      },
    },
    async (request) => ok(setDelegationPolicy(deps, callerOf(request), request.params.companyId, request.body)),
  );
}
