import type { Deps } from '../app/deps.ts';

/**
 * All SQL of the permissions context: access roles (tenant- or client-scoped bundles of permissions), the
 * hierarchical groups, their members and permissions, and role assignments to users and groups. Direct grants
 * are the access context's membership permissions and are read and written through src/access.
 */
export interface RoleRow {
  id: string;
  tenant_id: string;
  /** null: a tenant-scoped role (realm_access); else the OAuth client_id it belongs to (resource_access). */
  client_id: string | null;
  name: string;
  description: string | null;
  /** JSON array of permission strings. */
  permissions: string;
  created_at: number;
  updated_at: number;
}

export interface GroupRow {
  id: string;
  tenant_id: string;
  parent_id: string | null;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export type SubjectType = 'user' | 'group';

export interface AssignmentRow {
  role_id: string;
  subject_type: SubjectType;
  subject_id: string;
  tenant_id: string;
  created_at: number;
}

export interface GroupPermissionRow {
  group_id: string;
  permission: string;
}

export interface GroupMemberRow {
  group_id: string;
  user_id: string;
  created_at: number;
}

// Roles

export function insertRole(deps: Deps, row: RoleRow): void {
  deps
    .statement(
      `INSERT INTO access_roles (id, tenant_id, client_id, name, description, permissions, created_at, updated_at)
       VALUES (@id, @tenant_id, @client_id, @name, @description, @permissions, @created_at, @updated_at)`,
    )
    .run(row);
}

export function updateRoleRow(deps: Deps, row: RoleRow): void {
  deps
    .statement('UPDATE access_roles SET name = @name, description = @description, permissions = @permissions, updated_at = @updated_at WHERE id = @id')
    .run(row);
}

/** Deletes a role and its assignments. */
export function deleteRoleRow(deps: Deps, roleId: string): void {
  deps.statement('DELETE FROM access_role_assignments WHERE role_id = ?').run(roleId);
  deps.statement('DELETE FROM access_roles WHERE id = ?').run(roleId);
}

export function roleById(deps: Deps, tenantId: string, id: string): RoleRow | undefined {
  return deps.statement('SELECT * FROM access_roles WHERE tenant_id = ? AND id = ?').get(tenantId, id) as RoleRow | undefined;
}

/** Roles of that name: the tenant-scoped one and any client-scoped ones. */
export function rolesNamed(deps: Deps, tenantId: string, name: string): RoleRow[] {
  return deps.statement('SELECT * FROM access_roles WHERE tenant_id = ? AND name = ? ORDER BY client_id IS NOT NULL, client_id').all(tenantId, name) as RoleRow[];
}

export function rolesOfTenant(deps: Deps, tenantId: string): RoleRow[] {
  return deps.statement('SELECT * FROM access_roles WHERE tenant_id = ? ORDER BY client_id IS NOT NULL, client_id, name').all(tenantId) as RoleRow[];
}

// Role assignments

export function insertAssignment(deps: Deps, row: AssignmentRow): boolean {
  const result = deps
    .statement(
      `INSERT OR IGNORE INTO access_role_assignments (role_id, subject_type, subject_id, tenant_id, created_at)
       VALUES (@role_id, @subject_type, @subject_id, @tenant_id, @created_at)`,
    )
    .run(row);
  return result.changes > 0;
}

export function deleteAssignment(deps: Deps, roleId: string, subjectType: SubjectType, subjectId: string): boolean {
  return deps.statement('DELETE FROM access_role_assignments WHERE role_id = ? AND subject_type = ? AND subject_id = ?').run(roleId, subjectType, subjectId).changes > 0;
}

export function assignmentsOfRole(deps: Deps, roleId: string): AssignmentRow[] {
  return deps.statement('SELECT * FROM access_role_assignments WHERE role_id = ? ORDER BY subject_type, subject_id').all(roleId) as AssignmentRow[];
}

export function assignmentsOfTenant(deps: Deps, tenantId: string): AssignmentRow[] {
  return deps.statement('SELECT * FROM access_role_assignments WHERE tenant_id = ?').all(tenantId) as AssignmentRow[];
}

export function roleIdsOfSubject(deps: Deps, tenantId: string, subjectType: SubjectType, subjectId: string): string[] {
  return deps
    .statement('SELECT role_id FROM access_role_assignments WHERE tenant_id = ? AND subject_type = ? AND subject_id = ?')
    .pluck()
    .all(tenantId, subjectType, subjectId) as string[];
}

// Groups

export function insertGroup(deps: Deps, row: GroupRow): void {
  deps
    .statement(
      `INSERT INTO access_groups (id, tenant_id, parent_id, name, description, created_at, updated_at)
       VALUES (@id, @tenant_id, @parent_id, @name, @description, @created_at, @updated_at)`,
    )
    .run(row);
}

export function updateGroupRow(deps: Deps, row: GroupRow): void {
  deps
    .statement('UPDATE access_groups SET name = @name, parent_id = @parent_id, description = @description, updated_at = @updated_at WHERE id = @id')
    .run(row);
}

/** Deletes one group (no sub-groups left) with its members, permissions and role assignments. */
export function deleteGroupRow(deps: Deps, groupId: string): void {
  deps.statement('DELETE FROM access_group_members WHERE group_id = ?').run(groupId);
  deps.statement('DELETE FROM access_group_permissions WHERE group_id = ?').run(groupId);
  deps.statement("DELETE FROM access_role_assignments WHERE subject_type = 'group' AND subject_id = ?").run(groupId);
  deps.statement('DELETE FROM access_groups WHERE id = ?').run(groupId);
}

export function groupById(deps: Deps, tenantId: string, id: string): GroupRow | undefined {
  return deps.statement('SELECT * FROM access_groups WHERE tenant_id = ? AND id = ?').get(tenantId, id) as GroupRow | undefined;
}

export function groupByName(deps: Deps, tenantId: string, name: string): GroupRow | undefined {
  return deps.statement('SELECT * FROM access_groups WHERE tenant_id = ? AND name = ?').get(tenantId, name) as GroupRow | undefined;
}

export function groupsOfTenant(deps: Deps, tenantId: string): GroupRow[] {
  return deps.statement('SELECT * FROM access_groups WHERE tenant_id = ? ORDER BY name').all(tenantId) as GroupRow[];
}

// Group members

export function insertMember(deps: Deps, tenantId: string, groupId: string, userId: string, at: number): boolean {
  return (
    deps
      .statement('INSERT OR IGNORE INTO access_group_members (group_id, user_id, tenant_id, created_at) VALUES (?, ?, ?, ?)')
      .run(groupId, userId, tenantId, at).changes > 0
  );
}

export function deleteMember(deps: Deps, groupId: string, userId: string): boolean {
  return deps.statement('DELETE FROM access_group_members WHERE group_id = ? AND user_id = ?').run(groupId, userId).changes > 0;
}

export function membersOfGroup(deps: Deps, groupId: string): GroupMemberRow[] {
  return deps
    .statement(
      'SELECT group_id, user_id, created_at FROM access_group_members WHERE group_id = ?',
    )
    .all(groupId) as GroupMemberRow[];
}

/** User ids of the members of these groups. */
export function memberIdsOfGroups(deps: Deps, groupIds: readonly string[]): string[] {
  if (groupIds.length === 0) return [];
  const statement = deps.statement('SELECT DISTINCT user_id FROM access_group_members WHERE group_id IN (SELECT value FROM json_each(?))');
  return statement.pluck().all(JSON.stringify(groupIds)) as string[];
}

/** The groups a user is a direct member of in a tenant. */
export function groupIdsOfUser(deps: Deps, tenantId: string, userId: string): string[] {
  return deps.statement('SELECT group_id FROM access_group_members WHERE tenant_id = ? AND user_id = ?').pluck().all(tenantId, userId) as string[];
}

// Group permissions

export function insertGroupPermission(deps: Deps, tenantId: string, groupId: string, permission: string, at: number): boolean {
  return (
    deps
      .statement('INSERT OR IGNORE INTO access_group_permissions (group_id, permission, tenant_id, created_at) VALUES (?, ?, ?, ?)')
      .run(groupId, permission, tenantId, at).changes > 0
  );
}

export function deleteGroupPermission(deps: Deps, groupId: string, permission: string): boolean {
  return deps.statement('DELETE FROM access_group_permissions WHERE group_id = ? AND permission = ?').run(groupId, permission).changes > 0;
}

export function groupPermissionsOfTenant(deps: Deps, tenantId: string): GroupPermissionRow[] {
  return deps.statement('SELECT group_id, permission FROM access_group_permissions WHERE tenant_id = ?').all(tenantId) as GroupPermissionRow[];
}
