import type { Deps } from '../app/deps.ts';
import { catalogModules } from '../access/entitlements.ts';
import { currentAccessVersion } from '../access/me-access.ts';
import { assignmentsOfTenant, groupPermissionsOfTenant, groupsOfTenant, rolesOfTenant, type GroupRow, type RoleRow } from './store.ts';

export interface GraphRole {
  id: string;
  name: string;
  clientId: string | null;
  permissions: string[];
}

/**
 * One tenant's roles, groups, group permissions and role assignments, loaded in four queries. Cached per tenant
 * under access_version (any write anywhere bumps it, so a cached graph is never older than the last commit);
 * never cached inside a write transaction, whose changes may still roll back.
 */
export interface TenantGraph {
  tenantId: string;
  groups: Map<string, GroupRow>;
  /** Group id → its sub-groups' ids. */
  children: Map<string, string[]>;
  groupPermissions: Map<string, string[]>;
  roles: Map<string, GraphRole>;
  /** Subject (`user:<id>` / `group:<id>`) → ids of the roles assigned to it. */
  assignments: Map<string, string[]>;
  /** Built-in and operator-defined modules (read with the graph, under the same access_version). */
  catalogModules: string[];
}

export function parsePermissions(row: RoleRow): string[] {
  return JSON.parse(row.permissions) as string[];
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function loadTenantGraph(deps: Deps, tenantId: string): TenantGraph {
  const groups = new Map<string, GroupRow>();
  const children = new Map<string, string[]>();
  for (const g of groupsOfTenant(deps, tenantId)) {
    groups.set(g.id, g);
    if (g.parent_id) pushTo(children, g.parent_id, g.id);
  }
  const groupPermissions = new Map<string, string[]>();
  for (const p of groupPermissionsOfTenant(deps, tenantId)) pushTo(groupPermissions, p.group_id, p.permission);
  const roles = new Map<string, GraphRole>();
  for (const r of rolesOfTenant(deps, tenantId)) roles.set(r.id, { id: r.id, name: r.name, clientId: r.client_id, permissions: parsePermissions(r) });
  const assignments = new Map<string, string[]>();
  for (const a of assignmentsOfTenant(deps, tenantId)) pushTo(assignments, `${a.subject_type}:${a.subject_id}`, a.role_id);
  return { tenantId, groups, children, groupPermissions, roles, assignments, catalogModules: catalogModules(deps) };
}

/** The graph as of now: from the cache while access_version is unchanged, else loaded (and cached outside transactions). */
export function tenantGraph(deps: Deps, tenantId: string): TenantGraph {
  if (deps.sqlite.inTransaction) return loadTenantGraph(deps, tenantId);
  const cache = deps.accessCaches.permissionGraphs;
  const version = currentAccessVersion(deps);
  const hit = cache.get(tenantId);
  if (hit && hit.version === version) return hit.value as TenantGraph;
  const graph = loadTenantGraph(deps, tenantId);
  if (cache.size >= 1_000) cache.delete(cache.keys().next().value!);
  cache.set(tenantId, { version, validUntilMs: Number.POSITIVE_INFINITY, value: graph });
  return graph;
}

/** The group and its ancestors, nearest first; stops at a cycle (which the services never let happen). */
export function ancestry(graph: TenantGraph, groupId: string): GroupRow[] {
  const chain: GroupRow[] = [];
  const seen = new Set<string>();
  let current = graph.groups.get(groupId);
  while (current && !seen.has(current.id)) {
    chain.push(current);
    seen.add(current.id);
    current = current.parent_id ? graph.groups.get(current.parent_id) : undefined;
  }
  return chain;
}

/** The group and every group below it. */
export function subtree(graph: TenantGraph, groupId: string): string[] {
  const out: string[] = [];
  const stack = [groupId];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    stack.push(...(graph.children.get(id) ?? []));
  }
  return out;
}
