import type { Deps } from '../app/deps.ts';
import { ME_ACCESS_CACHE_LIMIT } from '../access/access-caches.ts';
import { computeEffectiveAccess } from '../access/effective-access.ts';
import { companyEntitlementsNow, getCompanyEntitlements, type CompanyEntitlements } from '../access/entitlements.ts';
import { readGrants } from '../access/membership-access.ts';
import { currentAccessVersion } from '../access/me-access.ts';
import { permissionModule } from '../access/modules.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';
import { ancestry, tenantGraph, type TenantGraph } from './graph.ts';
import { groupIdsOfUser, type SubjectType } from './store.ts';

/** Whose permissions: a user (through its membership) or a group (for act-as-group sessions and agents it owns). */
export interface PermissionSubject {
  type: SubjectType;
  id: string;
}

/**
 * One way a permission reaches a subject. `groups` runs from the group the subject is in to the group that
 * holds the grant (`Backend → Engineering`: a member of Backend, Engineering holds it).
 */
export type PermissionPath =
  | { via: 'direct' }
  | { via: 'role'; role: string; clientId: string | null; groups: string[] }
  | { via: 'group'; groups: string[] };

export interface EffectivePermissions {
  tenantId: string;
  subject: PermissionSubject;
  /** Whether the subject reaches the tenant at all: an active member of an enabled tenant, or an existing group. */
  member: boolean;
  /** Every known module → whether it is effective for the subject. */
  modules: Record<string, boolean>;
  /** The effective set, sorted: the `can` claim. */
  permissions: string[];
  /** Every path each effective permission arrives by. */
  paths: Record<string, PermissionPath[]>;
  /** Permissions that arrive but whose module is not effective. */
  dropped: Array<{ permission: string; module: string; paths: PermissionPath[] }>;
  /** Names of the subject's groups and all their ancestors, sorted (the `groups` claim). */
  groups: string[];
  /** Tenant-scoped roles, however they arrive (realm_access.roles). */
  realmRoles: string[];
  /** client_id → client-scoped roles (resource_access). */
  clientRoles: Record<string, string[]>;
}

/** `direct`, `role editor`, `group Backend → Engineering`, `role deploy via group Engineering`. */
export function describePath(path: PermissionPath): string {
  if (path.via === 'direct') return 'direct';
  const groups = path.groups.join(' → ');
  if (path.via === 'group') return `group ${groups}`;
  const role = path.clientId ? `role ${path.role} (client ${path.clientId})` : `role ${path.role}`;
  return groups ? `${role} via group ${groups}` : role;
}

interface Sources {
  direct: readonly string[];
  roleIds: readonly string[];
  groupIds: readonly string[];
}

interface Collected {
  paths: Map<string, PermissionPath[]>;
  groups: Set<string>;
  realmRoles: Set<string>;
  clientRoles: Map<string, Set<string>>;
}

/** Direct ∪ roles ∪ every group the subject is in and all their ancestors (their permissions and their roles). */
function collect(graph: TenantGraph, sources: Sources): Collected {
  const out: Collected = { paths: new Map(), groups: new Set(), realmRoles: new Set(), clientRoles: new Map() };
  const add = (permission: string, path: PermissionPath) => {
    const list = out.paths.get(permission);
    if (list) list.push(path);
    else out.paths.set(permission, [path]);
  };
  const addRole = (roleId: string, groups: string[]) => {
    const role = graph.roles.get(roleId);
    if (!role) return;
    if (role.clientId) {
      let set = out.clientRoles.get(role.clientId);
      if (!set) out.clientRoles.set(role.clientId, (set = new Set()));
      set.add(role.name);
    } else out.realmRoles.add(role.name);
    for (const p of role.permissions) add(p, { via: 'role', role: role.name, clientId: role.clientId, groups });
  };
  for (const p of sources.direct) add(p, { via: 'direct' });
  for (const roleId of sources.roleIds) addRole(roleId, []);
  for (const groupId of sources.groupIds) {
    const chain = ancestry(graph, groupId);
    for (let i = 0; i < chain.length; i++) {
      const group = chain[i];
      out.groups.add(group.name);
      const names = chain.slice(0, i + 1).map((g) => g.name);
      for (const p of graph.groupPermissions.get(group.id) ?? []) add(p, { via: 'group', groups: names });
      for (const roleId of graph.assignments.get(`group:${group.id}`) ?? []) addRole(roleId, names);
    }
  }
  return out;
}

const sorted = (values: Iterable<string>) => [...values].sort();

function empty(tenantId: string, subject: PermissionSubject, modules: Record<string, boolean>): EffectivePermissions {
  return { tenantId, subject, member: false, modules, permissions: [], paths: {}, dropped: [], groups: [], realmRoles: [], clientRoles: {} };
}

/**
 * THE computation of a subject's effective permissions in a tenant, uncached: direct grants (the membership's
 * permissions) ∪ access roles ∪ groups and their ancestors, then the module filter of seed 002 §16 (a permission
 * named after a known module survives only while that module is effective: for a user, entitlements ∩ the
 * membership's module grants; for a group, the tenant's entitlements).
 */
export function computeEffectivePermissions(deps: Deps, graph: TenantGraph, entitlements: CompanyEntitlements, subject: PermissionSubject): EffectivePermissions {
  const tenantId = graph.tenantId;
  const knownModules = [...graph.catalogModules, ...entitlements.listed];
  let sources: Sources;
  let moduleGrants: readonly string[];
  if (subject.type === 'user') {
    if (!activeCompanyRole(deps, subject.id, tenantId)) {
      return empty(tenantId, subject, computeEffectiveAccess({ knownModules, entitlements: entitlements.modules, moduleGrants: [], permissions: [] }).modules);
    }
    const grants = readGrants(deps, tenantId, subject.id);
    moduleGrants = grants.modules;
    sources = { direct: grants.permissions, roleIds: graph.assignments.get(`user:${subject.id}`) ?? [], groupIds: groupIdsOfUser(deps, tenantId, subject.id) };
  } else {
    moduleGrants = entitlements.modules;
    if (!graph.groups.has(subject.id)) {
      return empty(tenantId, subject, computeEffectiveAccess({ knownModules, entitlements: entitlements.modules, moduleGrants, permissions: [] }).modules);
    }
    sources = { direct: [], roleIds: [], groupIds: [subject.id] };
  }
  const collected = collect(graph, sources);
  const access = computeEffectiveAccess({ knownModules, entitlements: entitlements.modules, moduleGrants, permissions: collected.paths.keys() });
  const effective = new Set(access.permissions);
  const paths: Record<string, PermissionPath[]> = {};
  const dropped: EffectivePermissions['dropped'] = [];
  for (const permission of sorted(collected.paths.keys())) {
    const via = collected.paths.get(permission)!;
    if (effective.has(permission)) paths[permission] = via;
    else dropped.push({ permission, module: permissionModule(permission)!, paths: via });
  }
  const clientRoles: Record<string, string[]> = {};
  for (const clientId of sorted(collected.clientRoles.keys())) clientRoles[clientId] = sorted(collected.clientRoles.get(clientId)!);
  return {
    tenantId,
    subject,
    member: true,
    modules: access.modules,
    permissions: access.permissions,
    paths,
    dropped,
    groups: sorted(collected.groups),
    realmRoles: sorted(collected.realmRoles),
    clientRoles,
  };
}

/**
 * The tenant's entitlements without waiting. Remote entitlements not fetched yet count as nothing bought (module
 * permissions are withheld, never granted by mistake) while a fetch starts in the background; such an answer is
 * not cached.
 */
export function entitlementsSnapshot(deps: Deps, tenantId: string): CompanyEntitlements {
  const now = companyEntitlementsNow(deps, tenantId);
  if (now && !now.stale) return now;
  deps.background.run('entitlements refresh', () => getCompanyEntitlements(deps, tenantId));
  return now ?? { companyId: tenantId, modules: [], listed: [], source: 'remote', stale: true, freshUntilMs: deps.clock.nowMs() };
}

/**
 * A subject's effective permissions in a tenant, as everything that reports permissions sees them (`can`,
 * /auth/me/access, the CLI, the tenant API). From memory while access_version is unchanged (so a change made by
 * any process is seen on the very next call) and remote entitlements are fresh.
 */
export function effectivePermissionsOf(deps: Deps, tenantId: string, subject: PermissionSubject): EffectivePermissions {
  if (deps.sqlite.inTransaction) return computeEffectivePermissions(deps, tenantGraph(deps, tenantId), entitlementsSnapshot(deps, tenantId), subject);
  const cache = deps.accessCaches.effectivePermissions;
  const key = `${tenantId}\u0000${subject.type}\u0000${subject.id}`;
  const version = currentAccessVersion(deps);
  const hit = cache.get(key);
  if (hit && hit.version === version && (hit.validUntilMs === Number.POSITIVE_INFINITY || deps.clock.nowMs() < hit.validUntilMs)) {
    return hit.value as EffectivePermissions;
  }
  const entitlements = entitlementsSnapshot(deps, tenantId);
  const value = computeEffectivePermissions(deps, tenantGraph(deps, tenantId), entitlements, subject);
  if (cache.size >= ME_ACCESS_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, { version, validUntilMs: entitlements.freshUntilMs, value });
  return value;
}

/** The same, after making sure remote entitlements are loaded (async paths: HTTP routes, CLI). */
export async function loadEffectivePermissions(deps: Deps, tenantId: string, subject: PermissionSubject): Promise<EffectivePermissions> {
  await getCompanyEntitlements(deps, tenantId);
  return effectivePermissionsOf(deps, tenantId, subject);
}
