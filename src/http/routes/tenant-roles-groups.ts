import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  grantGroupPermissions,
  listGroupMembers,
  listGroups,
  removeGroupMember,
  revokeGroupPermissions,
  showGroup,
  updateGroup,
} from '../../permissions/groups.ts';
import { explainGroupPermissions } from '../../permissions/grants.ts';
import { assignRole, createRole, deleteRole, listRoles, showRole, unassignRole, updateRole } from '../../permissions/roles.ts';
import { callerOf } from '../caller.ts';
import { ok } from '../envelope.ts';
import { envelope } from '../schemas/user-admin.ts';
import { AccessRole, AccessRoleDetail, GroupDetail, GroupMember, GroupTreeEntry, PermissionExplanation } from '../schemas/permissions.ts';

const security = [{ bearerAuth: [] }];
const slug = z.object({ slug: z.string().min(1).max(63) });
const ref = z.string().min(1).max(200);
const roleParams = slug.extend({ role: ref });
const groupParams = slug.extend({ group: ref });
const permissionList = z.array(z.string().min(1).max(128)).max(500);
const clientQuery = z.object({ clientId: z.string().min(1).max(128).optional() });
const text = z.string().max(500).nullable().optional();

/** What the tenant API documents of each operation: the scope an API key needs for it. */
const scoped = (scope: string, summary: string) => ({ summary, description: `Needs \`${scope}\`: an API key with that scope, or a Bearer token of platform staff or the tenant's TENANT_SUPERADMIN/ADMIN.` });

/**
 * Access roles and groups of one tenant (`/t/{slug}/api/v1/roles|groups…`), in the seed envelope. Thin: each route
 * calls one service of src/permissions, which asks the policy (`roles:*`, `groups:*`).
 */
export function tenantRolesGroupsRoutes(app: App, deps: Deps): void {
  const roles = { tags: ['roles'], security };
  const groups = { tags: ['groups'], security };
  const base = '/t/:slug/api/v1';

  app.get(`${base}/roles`, { preHandler: app.authenticate, schema: { ...roles, operationId: 'listTenantRoles', response: { 200: envelope(z.array(AccessRole)) }, ...scoped('roles:read', 'Access roles of the tenant (of one client with clientId)'), params: slug, querystring: clientQuery } }, async (request) =>
    ok(listRoles(deps, callerOf(request), request.params.slug, { clientId: request.query.clientId })),
  );

  app.post(
    `${base}/roles`,
    {
      preHandler: app.authenticate,
      schema: {
        ...roles,
        operationId: 'createTenantRole', response: { 201: envelope(AccessRole) },
        ...scoped('roles:write', 'Create an access role: tenant-scoped (realm_access), or with clientId for one client (resource_access)'),
        params: slug,
        body: z.object({ name: z.string().min(1).max(100), permissions: permissionList.optional(), clientId: z.string().min(1).max(128).nullable().optional(), description: text }),
      },
    },
    async (request, reply) => {
      reply.code(201);
      return ok(await createRole(deps, callerOf(request), request.params.slug, request.body));
    },
  );

  app.get(`${base}/roles/:role`, { preHandler: app.authenticate, schema: { ...roles, operationId: 'getTenantRole', response: { 200: envelope(AccessRoleDetail) }, ...scoped('roles:read', 'One role (by id or name) and who it is assigned to'), params: roleParams, querystring: clientQuery } }, async (request) =>
    ok(showRole(deps, callerOf(request), request.params.slug, request.params.role, request.query.clientId)),
  );

  app.patch(
    `${base}/roles/:role`,
    {
      preHandler: app.authenticate,
      schema: {
        ...roles,
        operationId: 'updateTenantRole', response: { 200: envelope(AccessRole) },
        ...scoped('roles:write', 'Rename a role, replace its permissions or change its description'),
        params: roleParams,
        querystring: clientQuery,
        body: z.object({ name: z.string().min(1).max(100).optional(), permissions: permissionList.optional(), description: text }),
      },
    },
    async (request) => ok(await updateRole(deps, callerOf(request), request.params.slug, request.params.role, request.body, request.query.clientId)),
  );

  app.delete(`${base}/roles/:role`, { preHandler: app.authenticate, schema: { ...roles, operationId: 'deleteTenantRole', response: { 200: envelope(z.object({ deleted: AccessRole })) }, ...scoped('roles:write', 'Delete a role and its assignments'), params: roleParams, querystring: clientQuery } }, async (request) =>
    ok({ deleted: await deleteRole(deps, callerOf(request), request.params.slug, request.params.role, request.query.clientId) }),
  );

  app.post(
    `${base}/roles/:role/assignments`,
    {
      preHandler: app.authenticate,
      schema: {
        ...roles,
        operationId: 'assignTenantRole', response: { 201: envelope(AccessRoleDetail) },
        ...scoped('roles:write', 'Assign a role to a member of the tenant (user: id or email) or to a group (group: id or name)'),
        params: roleParams,
        querystring: clientQuery,
        body: z.union([z.object({ user: ref }).strict(), z.object({ group: ref }).strict()]),
      },
    },
    async (request, reply) => {
      reply.code(201);
      return ok(await assignRole(deps, callerOf(request), request.params.slug, request.params.role, request.body, request.query.clientId));
    },
  );

  app.delete(
    `${base}/roles/:role/assignments/:subjectType/:subjectId`,
    {
      preHandler: app.authenticate,
      schema: {
        ...roles,
        operationId: 'unassignTenantRole', response: { 200: envelope(AccessRoleDetail) },
        ...scoped('roles:write', 'Take a role back from a user or a group'),
        params: roleParams.extend({ subjectType: z.enum(['user', 'group']), subjectId: ref }),
        querystring: clientQuery,
      },
    },
    async (request) => {
      const { slug: tenant, role, subjectType, subjectId } = request.params;
      const to = subjectType === 'user' ? { user: subjectId } : { group: subjectId };
      return ok(await unassignRole(deps, callerOf(request), tenant, role, to, request.query.clientId));
    },
  );

  app.get(`${base}/groups`, { preHandler: app.authenticate, schema: { ...groups, operationId: 'listTenantGroups', response: { 200: envelope(z.array(GroupTreeEntry)) }, ...scoped('groups:read', 'Groups of the tenant, depth first (parents before their sub-groups)'), params: slug } }, async (request) =>
    ok(listGroups(deps, callerOf(request), request.params.slug)),
  );

  app.post(
    `${base}/groups`,
    {
      preHandler: app.authenticate,
      schema: {
        ...groups,
        operationId: 'createTenantGroup', response: { 201: envelope(GroupDetail) },
        ...scoped('groups:write', 'Create a group, at the top level or under parent (id or name)'),
        params: slug,
        body: z.object({ name: z.string().min(1).max(100), parent: ref.nullable().optional(), description: text }),
      },
    },
    async (request, reply) => {
      reply.code(201);
      return ok(createGroup(deps, callerOf(request), request.params.slug, request.body));
    },
  );

  app.get(`${base}/groups/:group`, { preHandler: app.authenticate, schema: { ...groups, operationId: 'getTenantGroup', response: { 200: envelope(GroupDetail) }, ...scoped('groups:read', 'One group: its path, sub-groups, permissions, roles and members'), params: groupParams } }, async (request) =>
    ok(showGroup(deps, callerOf(request), request.params.slug, request.params.group)),
  );

  app.patch(
    `${base}/groups/:group`,
    {
      preHandler: app.authenticate,
      schema: {
        ...groups,
        operationId: 'updateTenantGroup', response: { 200: envelope(GroupDetail) },
        ...scoped('groups:write', 'Rename or move a group (parent null: top level); a move that makes a cycle is 409 conflict'),
        params: groupParams,
        body: z.object({ name: z.string().min(1).max(100).optional(), parent: ref.nullable().optional(), description: text }),
      },
    },
    async (request) => ok(await updateGroup(deps, callerOf(request), request.params.slug, request.params.group, request.body)),
  );

  app.delete(
    `${base}/groups/:group`,
    {
      preHandler: app.authenticate,
      schema: {
        ...groups,
        operationId: 'deleteTenantGroup', response: { 200: envelope(z.object({ deleted: z.array(z.string()) })) },
        ...scoped('groups:write', 'Delete a group; refused (409) while it has sub-groups unless recursive=true'),
        params: groupParams,
        querystring: z.object({ recursive: z.enum(['true', 'false']).optional() }),
      },
    },
    async (request) => ok(await deleteGroup(deps, callerOf(request), request.params.slug, request.params.group, { recursive: request.query.recursive === 'true' })),
  );

  app.get(`${base}/groups/:group/members`, { preHandler: app.authenticate, schema: { ...groups, operationId: 'listTenantGroupMembers', response: { 200: envelope(z.array(GroupMember)) }, ...scoped('groups:read', "A group's direct members"), params: groupParams } }, async (request) =>
    ok(listGroupMembers(deps, callerOf(request), request.params.slug, request.params.group)),
  );

  app.post(
    `${base}/groups/:group/members`,
    {
      preHandler: app.authenticate,
      schema: { ...groups, operationId: 'addTenantGroupMember', response: { 201: envelope(GroupDetail) }, ...scoped('groups:write', 'Add a member of the tenant (user: id or email) to a group'), params: groupParams, body: z.object({ user: ref }) },
    },
    async (request, reply) => {
      reply.code(201);
      return ok(await addGroupMember(deps, callerOf(request), request.params.slug, request.params.group, request.body.user));
    },
  );

  app.delete(
    `${base}/groups/:group/members/:user`,
    { preHandler: app.authenticate, schema: { ...groups, operationId: 'removeTenantGroupMember', response: { 200: envelope(GroupDetail) }, ...scoped('groups:write', 'Remove a user from a group'), params: groupParams.extend({ user: ref }) } },
    async (request) => ok(await removeGroupMember(deps, callerOf(request), request.params.slug, request.params.group, request.params.user)),
  );

  app.get(
    `${base}/groups/:group/permissions`,
    { preHandler: app.authenticate, schema: { ...groups, operationId: 'getTenantGroupPermissions', response: { 200: envelope(PermissionExplanation) }, ...scoped('groups:read', 'The effective permissions of a group as a subject, with every path'), params: groupParams } },
    async (request) => ok(await explainGroupPermissions(deps, callerOf(request), request.params.slug, request.params.group)),
  );

  app.post(
    `${base}/groups/:group/permissions`,
    {
      preHandler: app.authenticate,
      schema: { ...groups, operationId: 'grantTenantGroupPermissions', response: { 200: envelope(GroupDetail) }, ...scoped('groups:write', 'Grant permissions to a group (they reach its members and its sub-groups’ members)'), params: groupParams, body: z.object({ permissions: permissionList.min(1) }) },
    },
    async (request) => ok(await grantGroupPermissions(deps, callerOf(request), request.params.slug, request.params.group, request.body.permissions)),
  );

  app.delete(
    `${base}/groups/:group/permissions/:permission`,
    { preHandler: app.authenticate, schema: { ...groups, operationId: 'revokeTenantGroupPermission', response: { 200: envelope(GroupDetail) }, ...scoped('groups:write', 'Revoke one permission of a group'), params: groupParams.extend({ permission: z.string().min(1).max(128) }) } },
    async (request) => ok(await revokeGroupPermissions(deps, callerOf(request), request.params.slug, request.params.group, [request.params.permission])),
  );
}
