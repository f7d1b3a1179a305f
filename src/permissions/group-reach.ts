import type { Deps } from '../app/deps.ts';
import { ancestry, tenantGraph } from './graph.ts';
import { groupIdsOfUser } from './store.ts';

/**
 * The ids of every group a user belongs to, directly or through a sub-group (a member of Backend belongs to
 * Engineering above it): what "a member of the owning group" means for ownership.
 */
export function groupIdsReachedBy(deps: Deps, tenantId: string, userId: string): Set<string> {
  const graph = tenantGraph(deps, tenantId);
  const reached = new Set<string>();
  for (const id of groupIdsOfUser(deps, tenantId, userId)) for (const g of ancestry(graph, id)) reached.add(g.id);
  return reached;
}

/** The group and its ancestors: a session acting as the group belongs to each. */
export function groupAndAncestorIds(deps: Deps, tenantId: string, groupId: string): Set<string> {
  return new Set(ancestry(tenantGraph(deps, tenantId), groupId).map((g) => g.id));
}
