import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound } from '../app/errors.ts';
import type { Principal } from '../authorization/principal.ts';
import { getCompanyEntitlements } from '../access/entitlements.ts';
import { normalizePermissions } from '../access/modules.ts';
import { getUser } from '../identity/users.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { ancestry, loadTenantGraph, subtree, type TenantGraph } from './graph.ts';
import { trackPermissionChanges, usersUnderGroups } from './permission-changes.ts';
import {
  deleteGroupPermission,
  deleteGroupRow,
  deleteMember,
  groupById,
  groupByName,
  groupPermissionsOfTenant,
  groupsOfTenant,
  insertGroup,
  insertGroupPermission,
  insertMember,
  membersOfGroup,
  roleIdsOfSubject,
  roleById,
  updateGroupRow,
  type GroupRow,
} from './store.ts';
import { assertDelegates, descriptionOf, groupName, memberOf, tenantFor } from './tenant-scope.ts';
import { effectivePermissionsOf } from './effective-permissions.ts';
import { selectUsersByIds } from '../identity/store.ts';

export interface GroupView {
  id: string;
  name: string;
  parentId: string | null;
  /** From the root down to this group: `Engineering > Backend > On-call`. */
  path: string[];
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface GroupTreeEntry extends GroupView {
  depth: number;
}

export interface GroupMemberView {
  userId: string;
  email: string;
  name: string;
  addedAt: string;
}

export interface GroupDetail extends GroupView {
  children: string[];
  members: GroupMemberView[];
  permissions: string[];
  roles: Array<{ id: string; name: string; clientId: string | null }>;
}

function groupView(graph: TenantGraph, row: GroupRow): GroupView {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    path: ancestry(graph, row.id)
      .map((g) => g.name)
      .reverse(),
    description: row.description,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** A group by id or by name (names are unique in a tenant). */
export function groupRef(deps: Deps, tenant: TenantRow, ref: string): GroupRow {
  const group = groupById(deps, tenant.id, ref) ?? groupByName(deps, tenant.id, ref.trim());
  if (!group) throw notFound(`Group "${ref}" in tenant "${tenant.slug}"`);
  return group;
}

function detail(deps: Deps, tenant: TenantRow, row: GroupRow): GroupDetail {
  const graph = loadTenantGraph(deps, tenant.id);
  return {
    ...groupView(graph, row),
    children: (graph.children.get(row.id) ?? []).map((id) => graph.groups.get(id)!.name).sort(),
    members: membersView(deps, row.id),
    permissions: (graph.groupPermissions.get(row.id) ?? []).slice().sort(),
    roles: roleIdsOfSubject(deps, tenant.id, 'group', row.id)
      .map((id) => roleById(deps, tenant.id, id)!)
      .map((r) => ({ id: r.id, name: r.name, clientId: r.client_id }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Everything a group passes on to its members: its own and its ancestors' permissions and roles' bundles. */
function groupPermissionsOf(deps: Deps, tenant: TenantRow, groupId: string): string[] {
  const effective = effectivePermissionsOf(deps, tenant.id, { type: 'group', id: groupId });
  return [...effective.permissions, ...effective.dropped.map((d) => d.permission)];
}

/** A group's direct members with their names from identity, by email (as a directory lists them). */
function membersView(deps: Deps, groupId: string): GroupMemberView[] {
  const rows = membersOfGroup(deps, groupId);
  const users = new Map(selectUsersByIds(deps, rows.map((m) => m.user_id)).map((u) => [u.id, u]));
  return rows
    .map((m) => memberView(m, users.get(m.user_id)!))
    .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
}

function memberView(m: { user_id: string; created_at: number }, user: { email: string; fullName: string }): GroupMemberView {
  return { userId: m.user_id, email: user.email, name: user.fullName, addedAt: new Date(m.created_at).toISOString() };
}

export interface CreateGroupInput {
  name: string;
  /** The parent group (id or name); none = a top-level group. */
  parent?: string | null;
  description?: string | null;
}

export function createGroup(deps: Deps, caller: Principal, tenantRef: string, input: CreateGroupInput): GroupDetail {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  const name = groupName(input.name);
  const description = descriptionOf(input.description);
  return deps.sqlite.transaction(() => {
    if (groupByName(deps, tenant.id, name)) throw conflict(`A group named "${name}" already exists in tenant "${tenant.slug}"`);
    const parent = input.parent ? groupRef(deps, tenant, input.parent) : null;
    const now = deps.clock.nowMs();
    const row: GroupRow = { id: randomUUID(), tenant_id: tenant.id, parent_id: parent?.id ?? null, name, description, created_at: now, updated_at: now };
    insertGroup(deps, row);
    deps.audit.append(tenant.id, { actor: caller, type: 'group.created', target: { type: 'group', id: row.id }, payload: { name, parent: parent?.name ?? null } });
    return detail(deps, tenant, row);
  })();
}

/** Every group of the tenant, depth first (parents before their sub-groups, siblings by name). */
export function listGroups(deps: Deps, caller: Principal, tenantRef: string): GroupTreeEntry[] {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:read');
  const graph = loadTenantGraph(deps, tenant.id);
  const rows = groupsOfTenant(deps, tenant.id);
  const out: GroupTreeEntry[] = [];
  const walk = (parentId: string | null, depth: number) => {
    for (const row of rows.filter((r) => r.parent_id === parentId)) {
      out.push({ ...groupView(graph, row), depth });
      walk(row.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function showGroup(deps: Deps, caller: Principal, tenantRef: string, ref: string): GroupDetail {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:read');
  return detail(deps, tenant, groupRef(deps, tenant, ref));
}

export interface UpdateGroupInput {
  name?: string;
  /** A group id or name to move under; null moves it to the top level. */
  parent?: string | null;
  description?: string | null;
}

/** Renames and/or moves a group. A move under itself or one of its sub-groups is refused (409 conflict). */
export async function updateGroup(deps: Deps, caller: Principal, tenantRef: string, ref: string, input: UpdateGroupInput): Promise<GroupDetail> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const before = groupRef(deps, tenant, ref);
    const next: GroupRow = { ...before, updated_at: deps.clock.nowMs() };
    if (input.name !== undefined) {
      next.name = groupName(input.name);
      const clash = groupByName(deps, tenant.id, next.name);
      if (clash && clash.id !== before.id) throw conflict(`A group named "${next.name}" already exists in tenant "${tenant.slug}"`);
    }
    if (input.description !== undefined) next.description = descriptionOf(input.description);
    let parentName: string | null | undefined;
    if (input.parent !== undefined) {
      const parent = input.parent === null ? null : groupRef(deps, tenant, input.parent);
      if (parent && subtree(loadTenantGraph(deps, tenant.id), before.id).includes(parent.id)) {
        throw conflict(`Moving "${before.name}" under "${parent.name}" would make a cycle: "${parent.name}" is "${before.name}" or one of its sub-groups`);
      }
      next.parent_id = parent?.id ?? null;
      parentName = parent?.name ?? null;
      if (next.parent_id !== before.parent_id) {
        // What the moved subtree gains from its new ancestors and loses from its old ones.
        const old = new Set(before.parent_id ? groupPermissionsOf(deps, tenant, before.parent_id) : []);
        const now = new Set(parent ? groupPermissionsOf(deps, tenant, parent.id) : []);
        assertDelegates(deps, caller, tenant, [...[...now].filter((p) => !old.has(p)), ...[...old].filter((p) => !now.has(p))]);
      }
    }
    const moved = next.parent_id !== before.parent_id;
    trackPermissionChanges(deps, tenant.id, caller, (graph) => (moved ? usersUnderGroups(deps, graph, [before.id]) : []), () => updateGroupRow(deps, next));
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'group.updated',
      target: { type: 'group', id: before.id },
      payload: {
        name: next.name,
        ...(next.name !== before.name ? { previousName: before.name } : {}),
        ...(moved ? { parent: parentName ?? null } : {}),
      },
    });
    return detail(deps, tenant, next);
  })();
}

/** Deletes a group; with sub-groups only when `recursive` (they go too). Its members lose what it gave them. */
export async function deleteGroup(deps: Deps, caller: Principal, tenantRef: string, ref: string, options: { recursive?: boolean } = {}): Promise<{ deleted: string[] }> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const group = groupRef(deps, tenant, ref);
    const graph = loadTenantGraph(deps, tenant.id);
    const ids = subtree(graph, group.id);
    if (ids.length > 1 && !options.recursive) {
      throw conflict(`Group "${group.name}" has sub-groups (${ids.length - 1}); delete them first or pass --recursive`);
    }
    const names = ids.map((id) => graph.groups.get(id)!.name);
    trackPermissionChanges(deps, tenant.id, caller, (g) => usersUnderGroups(deps, g, [group.id]), () => {
      // Deepest first, so no row ever points at a deleted parent.
      for (const id of [...ids].reverse()) deleteGroupRow(deps, id);
    });
    deps.audit.append(tenant.id, { actor: caller, type: 'group.deleted', target: { type: 'group', id: group.id }, payload: { name: group.name, deleted: names } });
    return { deleted: names };
  })();
}

export function listGroupMembers(deps: Deps, caller: Principal, tenantRef: string, ref: string): GroupMemberView[] {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:read');
  return membersView(deps, groupRef(deps, tenant, ref).id);
}

/** Adds a member of the tenant to a group (only members can be added; 404 otherwise). */
export async function addGroupMember(deps: Deps, caller: Principal, tenantRef: string, ref: string, userRef: string): Promise<GroupDetail> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const group = groupRef(deps, tenant, ref);
    const user = memberOf(deps, tenant, userRef);
    assertDelegates(deps, caller, tenant, groupPermissionsOf(deps, tenant, group.id), user.id);
    const added = trackPermissionChanges(deps, tenant.id, caller, () => [user.id], () => insertMember(deps, tenant.id, group.id, user.id, deps.clock.nowMs()));
    if (added) {
      deps.audit.append(tenant.id, { actor: caller, type: 'group.member_added', target: { type: 'group', id: group.id }, payload: { group: group.name, userId: user.id } });
    }
    return detail(deps, tenant, group);
  })();
}

export async function removeGroupMember(deps: Deps, caller: Principal, tenantRef: string, ref: string, userRef: string): Promise<GroupDetail> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const group = groupRef(deps, tenant, ref);
    const user = getUser(deps, userRef);
    assertDelegates(deps, caller, tenant, groupPermissionsOf(deps, tenant, group.id), user.id);
    const removed = trackPermissionChanges(deps, tenant.id, caller, () => [user.id], () => deleteMember(deps, group.id, user.id));
    if (!removed) throw notFound(`Member "${userRef}" of group "${group.name}"`);
    deps.audit.append(tenant.id, { actor: caller, type: 'group.member_removed', target: { type: 'group', id: group.id }, payload: { group: group.name, userId: user.id } });
    return detail(deps, tenant, group);
  })();
}

async function changeGroupPermissions(deps: Deps, caller: Principal, tenantRef: string, ref: string, permissions: readonly string[], grant: boolean): Promise<GroupDetail> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:write');
  const wanted = normalizePermissions(permissions);
  await getCompanyEntitlements(deps, tenant.id);
  return deps.sqlite.transaction(() => {
    const group = groupRef(deps, tenant, ref);
    const held = new Set(groupPermissionsOfTenant(deps, tenant.id).filter((p) => p.group_id === group.id).map((p) => p.permission));
    const changing = wanted.filter((p) => (grant ? !held.has(p) : held.has(p)));
    if (!grant && changing.length < wanted.length) {
      throw notFound(`Permission ${wanted.filter((p) => !held.has(p)).join(', ')} of group "${group.name}"`);
    }
    assertDelegates(deps, caller, tenant, changing);
    trackPermissionChanges(deps, tenant.id, caller, (graph) => (changing.length ? usersUnderGroups(deps, graph, [group.id]) : []), () => {
      const now = deps.clock.nowMs();
      for (const p of changing) grant ? insertGroupPermission(deps, tenant.id, group.id, p, now) : deleteGroupPermission(deps, group.id, p);
    });
    for (const permission of changing) {
      deps.audit.append(tenant.id, {
        actor: caller,
        type: grant ? 'group.permission_granted' : 'group.permission_revoked',
        target: { type: 'group', id: group.id },
        payload: { group: group.name, permission },
      });
    }
    return detail(deps, tenant, group);
  })();
}

export function grantGroupPermissions(deps: Deps, caller: Principal, tenantRef: string, ref: string, permissions: readonly string[]): Promise<GroupDetail> {
  return changeGroupPermissions(deps, caller, tenantRef, ref, permissions, true);
}

export function revokeGroupPermissions(deps: Deps, caller: Principal, tenantRef: string, ref: string, permissions: readonly string[]): Promise<GroupDetail> {
  return changeGroupPermissions(deps, caller, tenantRef, ref, permissions, false);
}
