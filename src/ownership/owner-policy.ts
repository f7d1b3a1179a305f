import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { deleteOwnerPolicyRow, ownerPolicyActions, ownerPolicyRows, upsertOwnerPolicyRow } from './store.ts';

/**
 * A tenant's owner policy: per resource type, the actions an owner may take on the resources it owns without a
 * permission for them (`kimauth tenants owner-policy set acme --type article --actions publish,edit,delete`).
 * The authorization check combines it with the ownership registry.
 */
export interface OwnerPolicy {
  resourceType: string;
  actions: string[];
  updatedAt: string;
}

const ACTION = /^[a-z][a-z0-9_.-]{0,62}$/;
const TYPE = /^[\w.:@~-]{1,200}$/;

function checkedType(resourceType: string): string {
  if (!TYPE.test(resourceType)) throw validationError('The resource type must be 1–200 letters, digits or . : @ ~ - _');
  return resourceType;
}

function checkedActions(actions: readonly string[]): string[] {
  const unique = [...new Set(actions.map((a) => a.trim()).filter(Boolean))];
  for (const action of unique) {
    if (!ACTION.test(action)) throw validationError(`"${action}" is not an action name (lower case letters, digits, . _ -; e.g. publish)`);
  }
  return unique.sort();
}

/** The actions owners may take on resources of this type (none when the tenant set no policy for it). */
export function ownerActionsFor(deps: Deps, tenantId: string, resourceType: string): string[] {
  return storedActions(ownerPolicyActions(deps, tenantId, resourceType));
}

/** A policy row's actions (a JSON array); none without a row. */
export function storedActions(stored: string | null | undefined): string[] {
  return stored ? (JSON.parse(stored) as string[]) : [];
}

export function listOwnerPolicies(deps: Deps, tenantId: string): OwnerPolicy[] {
  return ownerPolicyRows(deps, tenantId).map((r) => ({
    resourceType: r.resource_type,
    actions: JSON.parse(r.actions) as string[],
    updatedAt: new Date(r.updated_at).toISOString(),
  }));
}

/** Sets (replaces) the owner actions of a resource type; an empty list removes the type's policy. */
export function setOwnerPolicy(deps: Deps, tenantId: string, resourceType: string, actions: readonly string[], actor: Actor): OwnerPolicy | null {
  const type = checkedType(resourceType);
  const next = checkedActions(actions);
  return deps.sqlite.transaction(() => {
    const previous = ownerActionsFor(deps, tenantId, type);
    const now = deps.clock.nowMs();
    if (next.length === 0) deleteOwnerPolicyRow(deps, tenantId, type);
    else upsertOwnerPolicyRow(deps, tenantId, type, JSON.stringify(next), now);
    deps.audit.append(tenantId, { actor, type: 'owner_policy.set', target: { type: 'resource_type', id: type }, payload: { previous, actions: next } });
    return next.length ? { resourceType: type, actions: next, updatedAt: new Date(now).toISOString() } : null;
  })();
}
