import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { computeEffectivePermissions, entitlementsSnapshot } from './effective-permissions.ts';
import { loadTenantGraph, subtree, type TenantGraph } from './graph.ts';
import { memberIdsOfGroups } from './store.ts';

/** The audit event the integrations' webhooks turn into `permissions.changed` push-revokes. */
export const PERMISSIONS_CHANGED = 'permissions.changed';

export interface PermissionsChangedPayload {
  subjects: Array<{ type: 'user'; id: string }>;
  added: string[];
  removed: string[];
}

/** Users reached through these groups: members of each group and of every group below it. */
export function usersUnderGroups(deps: Deps, graph: TenantGraph, groupIds: readonly string[]): string[] {
  const all = new Set<string>();
  for (const id of groupIds) for (const g of subtree(graph, id)) all.add(g);
  return memberIdsOfGroups(deps, [...all]);
}

/**
 * Runs `change` (inside the caller's transaction) and appends one `permissions.changed` entry per distinct
 * (added, removed) pair to the tenant's chain, naming the users whose effective set moved that way. Only the
 * users `affected` names (read before and after the change) are recomputed, against one graph load each side.
 */
export function trackPermissionChanges<T>(
  deps: Deps,
  tenantId: string,
  actor: Actor,
  affected: (graph: TenantGraph) => readonly string[],
  change: () => T,
): T {
  if (!deps.sqlite.inTransaction) throw new Error('trackPermissionChanges must run inside the transaction of its change');
  const entitlements = entitlementsSnapshot(deps, tenantId);
  const beforeGraph = loadTenantGraph(deps, tenantId);
  const users = new Set(affected(beforeGraph));
  const before = new Map<string, string[]>();
  for (const id of users) before.set(id, computeEffectivePermissions(deps, beforeGraph, entitlements, { type: 'user', id }).permissions);

  const result = change();

  if (users.size === 0) return result;
  const afterGraph = loadTenantGraph(deps, tenantId);
  // Read again: the change may have been to the entitlements themselves (local mode reads its rows).
  const entitlementsAfter = entitlementsSnapshot(deps, tenantId);
  const byDiff = new Map<string, PermissionsChangedPayload>();
  for (const id of [...users].sort()) {
    const was = new Set(before.get(id));
    const now = new Set(computeEffectivePermissions(deps, afterGraph, entitlementsAfter, { type: 'user', id }).permissions);
    const added = [...now].filter((p) => !was.has(p)).sort();
    const removed = [...was].filter((p) => !now.has(p)).sort();
    if (added.length === 0 && removed.length === 0) continue;
    const key = JSON.stringify([added, removed]);
    const entry = byDiff.get(key);
    if (entry) entry.subjects.push({ type: 'user', id });
    else byDiff.set(key, { subjects: [{ type: 'user', id }], added, removed });
  }
  for (const payload of byDiff.values()) {
    deps.audit.append(tenantId, { actor, type: PERMISSIONS_CHANGED, target: { type: 'tenant', id: tenantId }, payload: { ...payload } });
  }
  return result;
}
