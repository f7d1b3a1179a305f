import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import { getCompanyEntitlements } from '../access/entitlements.ts';
import { normalizePermissions } from '../access/modules.ts';
import { findUserById, getUser } from '../identity/users.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { parsePermissions } from './graph.ts';
import { groupRef } from './groups.ts';
import { trackPermissionChanges, usersUnderGroups } from './permission-changes.ts';
import {
  assignmentsOfRole,
  deleteAssignment,
  deleteRoleRow,
  groupById,
  insertAssignment,
  insertRole,
  roleById,
  rolesNamed,
  rolesOfTenant,
  updateRoleRow,
  type RoleRow,
} from './store.ts';
import { assertDelegates, clientIdOf, descriptionOf, memberOf, roleName, tenantFor } from './tenant-scope.ts';

export interface RoleView {
  id: string;
  name: string;
  /** `tenant` roles appear in realm_access.roles, `client` roles in resource_access.{clientId}.roles. */
  scope: 'tenant' | 'client';
  clientId: string | null;
  description: string | null;
  permissions: string[];
  createdAt: string;
  updatedAt: string;
}

export type RoleAssignee = { type: 'user'; id: string; email: string | null } | { type: 'group'; id: string; name: string | null };

export interface RoleDetail extends RoleView {
  assignments: RoleAssignee[];
}

export function roleView(row: RoleRow): RoleView {
  return {
    id: row.id,
    name: row.name,
    scope: row.client_id ? 'client' : 'tenant',
    clientId: row.client_id,
    description: row.description,
    permissions: parsePermissions(row),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * A role by id, or by name: `clientId` picks a client-scoped role, none the tenant-scoped one (or the only role
 * of that name).
 */
export function roleRef(deps: Deps, tenant: TenantRow, ref: string, clientId?: string): RoleRow {
  const byId = roleById(deps, tenant.id, ref);
  if (byId) return byId;
  const named = rolesNamed(deps, tenant.id, ref.trim());
  const match =
    clientId !== undefined
      ? named.find((r) => r.client_id === clientId)
      : (named.find((r) => r.client_id === null) ?? (named.length === 1 ? named[0] : undefined));
  if (!match) {
    if (clientId === undefined && named.length > 1) throw validationError(`Several client roles are named "${ref}": name the client (--client)`);
    throw notFound(`Role "${ref}"${clientId ? ` of client "${clientId}"` : ''} in tenant "${tenant.slug}"`);
  }
  return match;
}

function detail(deps: Deps, tenant: TenantRow, row: RoleRow): RoleDetail {
  const assignments = assignmentsOfRole(deps, row.id).map((a): RoleAssignee =>
    a.subject_type === 'user'
      ? { type: 'user', id: a.subject_id, email: findUserById(deps, a.subject_id)?.email ?? null }
      : { type: 'group', id: a.subject_id, name: groupById(deps, tenant.id, a.subject_id)?.name ?? null },
  );
  return { ...roleView(row), assignments };
}

/** Users the role reaches: assigned directly, or members of an assigned group or of any group below it. */
function usersOfRole(deps: Deps, roleId: string) {
  return (graph: Parameters<typeof usersUnderGroups>[1]) => {
    const assignments = assignmentsOfRole(deps, roleId);
    const users = assignments.filter((a) => a.subject_type === 'user').map((a) => a.subject_id);
    const groups = assignments.filter((a) => a.subject_type === 'group').map((a) => a.subject_id);
    return [...users, ...usersUnderGroups(deps, graph, groups)];
  };
}

export interface CreateRoleInput {
  name: string;
  permissions?: readonly string[];
  clientId?: string | null;
  description?: string | null;
}

export async function createRole(deps: Deps, caller: Principal, tenantRef: string, input: CreateRoleInput): Promise<RoleView> {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:write');
  const now = deps.clock.nowMs();
  const row: RoleRow = {
    id: randomUUID(),
    tenant_id: tenant.id,
    client_id: input.clientId ? clientIdOf(input.clientId) : null,
    name: roleName(input.name),
    description: descriptionOf(input.description),
    permissions: JSON.stringify(normalizePermissions(input.permissions ?? [])),
    created_at: now,
    updated_at: now,
  };
  return deps.sqlite.transaction(() => {
    if (rolesNamed(deps, tenant.id, row.name).some((r) => r.client_id === row.client_id)) {
      throw conflict(`A ${row.client_id ? `role of client "${row.client_id}"` : 'tenant role'} named "${row.name}" already exists`);
    }
    assertDelegates(deps, caller, tenant, parsePermissions(row));
    insertRole(deps, row);
    const view = roleView(row);
    deps.audit.append(tenant.id, { actor: caller, type: 'role.created', target: { type: 'role', id: row.id }, payload: { name: view.name, clientId: view.clientId, permissions: view.permissions } });
    return view;
  })();
}

export function listRoles(deps: Deps, caller: Principal, tenantRef: string, filter: { clientId?: string } = {}): RoleView[] {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:read');
  return rolesOfTenant(deps, tenant.id)
    .filter((r) => filter.clientId === undefined || r.client_id === filter.clientId)
    .map(roleView);
}

export function showRole(deps: Deps, caller: Principal, tenantRef: string, ref: string, clientId?: string): RoleDetail {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:read');
  return detail(deps, tenant, roleRef(deps, tenant, ref, clientId));
}

export interface UpdateRoleInput {
  name?: string;
  /** Replaces the role's permissions. */
  permissions?: readonly string[];
  description?: string | null;
}

export async function updateRole(deps: Deps, caller: Principal, tenantRef: string, ref: string, input: UpdateRoleInput, clientId?: string): Promise<RoleView> {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const before = roleRef(deps, tenant, ref, clientId);
    const next: RoleRow = {
      ...before,
      name: input.name === undefined ? before.name : roleName(input.name),
      description: input.description === undefined ? before.description : descriptionOf(input.description),
      permissions: input.permissions === undefined ? before.permissions : JSON.stringify(normalizePermissions(input.permissions)),
      updated_at: deps.clock.nowMs(),
    };
    if (next.name !== before.name && rolesNamed(deps, tenant.id, next.name).some((r) => r.client_id === next.client_id)) {
      throw conflict(`A role named "${next.name}" already exists`);
    }
    const was = parsePermissions(before);
    const now = parsePermissions(next);
    assertDelegates(deps, caller, tenant, [...now.filter((p) => !was.includes(p)), ...was.filter((p) => !now.includes(p))]);
    trackPermissionChanges(deps, tenant.id, caller, usersOfRole(deps, before.id), () => updateRoleRow(deps, next));
    const view = roleView(next);
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'role.updated',
      target: { type: 'role', id: before.id },
      payload: {
        name: view.name,
        ...(view.name !== before.name ? { previousName: before.name } : {}),
        clientId: view.clientId,
        added: view.permissions.filter((p) => !was.includes(p)),
        removed: was.filter((p) => !view.permissions.includes(p)),
      },
    });
    return view;
  })();
}

export async function deleteRole(deps: Deps, caller: Principal, tenantRef: string, ref: string, clientId?: string): Promise<RoleView> {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const row = roleRef(deps, tenant, ref, clientId);
    const assignments = assignmentsOfRole(deps, row.id).length;
    assertDelegates(deps, caller, tenant, parsePermissions(row));
    trackPermissionChanges(deps, tenant.id, caller, usersOfRole(deps, row.id), () => deleteRoleRow(deps, row.id));
    deps.audit.append(tenant.id, { actor: caller, type: 'role.deleted', target: { type: 'role', id: row.id }, payload: { name: row.name, clientId: row.client_id, assignments } });
    return roleView(row);
  })();
}

/** Who a role goes to: a member of the tenant (id or email) or a group (id or name). */
export type AssigneeRef = { user: string } | { group: string };

async function changeAssignment(deps: Deps, caller: Principal, tenantRef: string, ref: string, to: AssigneeRef, assign: boolean, clientId?: string): Promise<RoleDetail> {
  const tenant = tenantFor(deps, caller, tenantRef, 'roles:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const role = roleRef(deps, tenant, ref, clientId);
    const subject =
      'user' in to
        ? { type: 'user' as const, id: (assign ? memberOf(deps, tenant, to.user) : getUser(deps, to.user)).id }
        : { type: 'group' as const, id: groupRef(deps, tenant, to.group).id };
    assertDelegates(deps, caller, tenant, parsePermissions(role), subject.type === 'user' ? subject.id : null);
    const affected = (graph: Parameters<typeof usersUnderGroups>[1]) => (subject.type === 'user' ? [subject.id] : usersUnderGroups(deps, graph, [subject.id]));
    const changed = trackPermissionChanges(deps, tenant.id, caller, affected, () =>
      assign
        ? insertAssignment(deps, { role_id: role.id, subject_type: subject.type, subject_id: subject.id, tenant_id: tenant.id, created_at: deps.clock.nowMs() })
        : deleteAssignment(deps, role.id, subject.type, subject.id),
    );
    if (!changed && !assign) throw notFound(`Assignment of role "${role.name}" to that ${subject.type}`);
    if (changed) {
      deps.audit.append(tenant.id, {
        actor: caller,
        type: assign ? 'role.assigned' : 'role.unassigned',
        target: { type: 'role', id: role.id },
        payload: { role: role.name, clientId: role.client_id, subject },
      });
    }
    return detail(deps, tenant, role);
  })();
}

export function assignRole(deps: Deps, caller: Principal, tenantRef: string, ref: string, to: AssigneeRef, clientId?: string): Promise<RoleDetail> {
  return changeAssignment(deps, caller, tenantRef, ref, to, true, clientId);
}

export function unassignRole(deps: Deps, caller: Principal, tenantRef: string, ref: string, to: AssigneeRef, clientId?: string): Promise<RoleDetail> {
  return changeAssignment(deps, caller, tenantRef, ref, to, false, clientId);
}
