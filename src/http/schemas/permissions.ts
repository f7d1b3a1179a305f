import { z } from 'zod';
import { COMPANY_ROLES } from '../../memberships/tables.ts';

/*
 * Response shapes of the tenant API's users, roles, groups and grants (src/permissions views), named so that
 * /openapi.json lists them under components.schemas.
 */

export const AccessRole = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: z.enum(['tenant', 'client']).meta({ description: 'tenant → realm_access.roles; client → resource_access.{clientId}.roles' }),
    clientId: z.string().nullable(),
    description: z.string().nullable(),
    permissions: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AccessRole' });

export const AccessRoleDetail = AccessRole.extend({
  assignments: z.array(
    z.union([
      z.object({ type: z.literal('user'), id: z.string(), email: z.string().nullable() }),
      z.object({ type: z.literal('group'), id: z.string(), name: z.string().nullable() }),
    ]),
  ),
}).meta({ id: 'AccessRoleDetail' });

export const Group = z
  .object({
    id: z.string(),
    name: z.string(),
    parentId: z.string().nullable(),
    path: z.array(z.string()).meta({ description: 'From the top-level group down to this one' }),
    description: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Group' });

export const GroupTreeEntry = Group.extend({ depth: z.number().int() }).meta({ id: 'GroupTreeEntry' });

export const GroupMember = z.object({ userId: z.string(), email: z.string(), name: z.string(), addedAt: z.string() }).meta({ id: 'GroupMember' });

export const GroupDetail = Group.extend({
  children: z.array(z.string()),
  members: z.array(GroupMember),
  permissions: z.array(z.string()),
  roles: z.array(z.object({ id: z.string(), name: z.string(), clientId: z.string().nullable() })),
}).meta({ id: 'GroupDetail' });

export const PermissionExplanation = z
  .object({
    tenant: z.object({ id: z.string(), slug: z.string() }),
    subject: z.object({ type: z.enum(['user', 'group']), id: z.string(), email: z.string().optional(), name: z.string().optional() }),
    permissions: z.array(z.object({ permission: z.string(), paths: z.array(z.string()).meta({ description: '`direct`, `role editor`, `group Backend → Engineering`, `role deploy via group Engineering`' }) })),
    dropped: z.array(z.object({ permission: z.string(), module: z.string(), paths: z.array(z.string()) })).meta({ description: 'Arriving, but their module is not effective' }),
    groups: z.array(z.string()),
    realmRoles: z.array(z.string()),
    clientRoles: z.record(z.string(), z.array(z.string())),
    modules: z.record(z.string(), z.boolean()),
  })
  .meta({ id: 'PermissionExplanation' });

export const TenantMember = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(COMPANY_ROLES),
    groups: z.array(z.string()),
    realmRoles: z.array(z.string()),
    clientRoles: z.record(z.string(), z.array(z.string())),
    permissions: z.array(z.string()),
  })
  .meta({ id: 'TenantMember' });
