import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { explainUserPermissions, getTenantMember, grantUserPermissions, listTenantMembers, revokeUserPermissions } from '../../permissions/grants.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { envelope } from '../schemas/user-admin.ts';
import { PermissionExplanation, TenantMember } from '../schemas/permissions.ts';

const security = [{ bearerAuth: [] }];
const slug = z.object({ slug: z.string().min(1).max(63) });
const userParams = slug.extend({ user: z.string().min(1).max(254) });

const scoped = (scope: string, summary: string) => ({ summary, description: `Needs \`${scope}\`: an API key with that scope, or a Bearer token of platform staff or the tenant's TENANT_SUPERADMIN/ADMIN.` });

/**
 * Members of one tenant with their effective permissions (`users:read`), and their direct grants with the
 * explained effective set (`grants:read|write`), under `/t/{slug}/api/v1/users…`.
 */
export function tenantMembersRoutes(app: App, deps: Deps): void {
  const tags = ['users'];
  const base = '/t/:slug/api/v1';

  app.get(`${base}/users`, { preHandler: app.authenticate, schema: { tags, security, operationId: 'listTenantMembers', response: { 200: envelope(z.array(TenantMember)) }, ...scoped('users:read', 'Active members with their role, groups, access roles and effective permissions'), params: slug } }, async (request) =>
    ok(await listTenantMembers(deps, callerOf(request), request.params.slug)),
  );

  app.get(`${base}/users/:user`, { preHandler: app.authenticate, schema: { tags, security, operationId: 'getTenantMember', response: { 200: envelope(TenantMember) }, ...scoped('users:read', 'One member (id or email)'), params: userParams } }, async (request) =>
    ok(await getTenantMember(deps, callerOf(request), request.params.slug, request.params.user)),
  );

  app.get(
    `${base}/users/:user/permissions`,
    { preHandler: app.authenticate, schema: { tags, security, operationId: 'explainMemberPermissions', response: { 200: envelope(PermissionExplanation) }, ...scoped('grants:read', 'Each effective permission with every path it arrives by, and those the module filter drops'), params: userParams } },
    async (request) => ok(await explainUserPermissions(deps, callerOf(request), request.params.slug, request.params.user)),
  );

  app.post(
    `${base}/users/:user/permissions`,
    {
      preHandler: app.authenticate,
      schema: { tags, security, operationId: 'grantMemberPermissions', response: { 200: envelope(PermissionExplanation) }, ...scoped('grants:write', 'Grant permissions directly to a member (within the caller’s delegation)'), params: userParams, body: z.object({ permissions: z.array(z.string().min(1).max(128)).min(1).max(500) }) },
    },
    async (request) => ok(await grantUserPermissions(deps, callerOf(request), request.params.slug, request.params.user, request.body.permissions)),
  );

  app.delete(
    `${base}/users/:user/permissions/:permission`,
    { preHandler: app.authenticate, schema: { tags, security, operationId: 'revokeMemberPermission', response: { 200: envelope(PermissionExplanation) }, ...scoped('grants:write', 'Revoke one direct grant of a member'), params: userParams.extend({ permission: z.string().min(1).max(128) }) } },
    async (request) => ok(await revokeUserPermissions(deps, callerOf(request), request.params.slug, request.params.user, [request.params.permission])),
  );
}
