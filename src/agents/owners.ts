import type { Deps } from '../app/deps.ts';
import { buildTenantClaims } from '../claims/tenant-claims.ts';
import { findUserStandingById } from '../identity/login-users.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';
import { groupById } from '../permissions/store.ts';

/** Who owns an agent: a user of the tenant, or one of its groups. */
export type AgentOwner = { type: 'user' | 'group'; id: string };

export type OwnerStanding = { present: true } | { present: false; reason: string };

/**
 * Whether the owner can still vouch for an agent: a user who is active, approved, not deleted and an active member
 * of the (enabled) tenant; a group that exists in the tenant. An agent whose owner is gone stops working.
 */
export function ownerStanding(deps: Deps, tenantId: string, owner: AgentOwner): OwnerStanding {
  if (owner.type === 'user') {
    const user = findUserStandingById(deps, owner.id);
    if (!user || user.deletedAt || !user.isActive || user.approvalStatus !== 'APPROVED') {
      return { present: false, reason: `The owner ${owner.id} is not an active user` };
    }
    if (!activeCompanyRole(deps, owner.id, tenantId)) return { present: false, reason: `The owner ${owner.id} is not an active member of this tenant` };
    return { present: true };
  }
  if (!groupById(deps, tenantId, owner.id)) return { present: false, reason: `The owner group ${owner.id} does not exist in this tenant` };
  return { present: true };
}

/** The owner's effective permissions now, from the one claims builder every tenant token uses. */
export function ownerEffectivePermissions(deps: Deps, tenant: { id: string; slug: string }, owner: AgentOwner): string[] {
  return buildTenantClaims(deps, { tenant, subject: owner, scopes: [] }).can;
}
