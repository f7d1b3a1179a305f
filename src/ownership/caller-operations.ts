import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { defaultProfileOfActor } from '../payments/profiles.ts';
import { getTenant } from '../tenants/tenants.ts';
import { getOwnership, listOwnerships, removeOwnership, setOwnership, transferOwnership, type Owner, type ResourceKey } from './ownership.ts';

/**
 * The ownership services as a caller reaches them over the tenant API (`/t/{slug}/v1/ownership…`): the tenant by
 * slug, the policy decision, then the service. One function per route.
 */
const tenantIdOf = (deps: Deps, slug: string) => getTenant(deps, slug).id;

export function getOwnershipAs(deps: Deps, caller: Principal, slug: string, key: ResourceKey) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.read', { companyId: tenantId });
  return getOwnership(deps, tenantId, key);
}

export function listOwnershipsAs(deps: Deps, caller: Principal, slug: string, options: Parameters<typeof listOwnerships>[2]) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.read', { companyId: tenantId });
  return listOwnerships(deps, tenantId, options);
}

/** PUT: registers a new resource's owner (registry writers), or confirms the owner it already has. */
export function setOwnershipAs(deps: Deps, caller: Principal, slug: string, key: ResourceKey, owner: Owner) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.register', { companyId: tenantId });
  return setOwnership(deps, tenantId, key, owner, caller);
}

export function transferOwnershipAs(deps: Deps, caller: Principal, slug: string, key: ResourceKey, owner: Owner) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.read', { companyId: tenantId });
  authorize(deps, caller, 'ownership.change', { companyId: tenantId, owner: getOwnership(deps, tenantId, key).owner });
  return transferOwnership(deps, tenantId, key, owner, caller);
}

export function removeOwnershipAs(deps: Deps, caller: Principal, slug: string, key: ResourceKey): void {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.read', { companyId: tenantId });
  authorize(deps, caller, 'ownership.change', { companyId: tenantId, owner: getOwnership(deps, tenantId, key).owner });
  removeOwnership(deps, tenantId, key, caller);
}

/** Where the money for a resource goes: its owner's default payment profile (a group-owned resource pays the group). */
export function paymentProfileOfResourceAs(deps: Deps, caller: Principal, slug: string, key: ResourceKey) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'ownership.read', { companyId: tenantId });
  return defaultProfileOfActor(deps, tenantId, getOwnership(deps, tenantId, key).owner);
}
