import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import type { GlobalRole } from '../identity/tables.ts';
import { activeMembershipsOf } from '../memberships/active-memberships.ts';
import { findTenant, getTenant } from '../tenants/tenants.ts';
import { findTenantRequirement, tenantsRequiringMfa, upsertTenantRequirement } from './store.ts';

/**
 * Tenants that require MFA of their members (`kimauth tenants update acme --require-mfa`). A user must have MFA
 * when they are an active member of an enabled tenant that requires it; the platform tenant (`master`)
 * requiring it covers platform staff (every globalRole but NONE).
 */
export function tenantsRequiringMfaOf(deps: Deps, user: { id: string; globalRole: GlobalRole }): string[] {
  const required = new Set(tenantsRequiringMfa(deps));
  if (required.size === 0) return [];
  const ids = activeMembershipsOf(deps, user.id)
    .filter((m) => m.companyActive && required.has(m.companyId))
    .map((m) => m.companyId);
  const platform = deps.platformTenantId();
  if (user.globalRole !== 'NONE' && required.has(platform) && !ids.includes(platform)) ids.push(platform);
  return ids.map((id) => findTenant(deps, id)?.slug ?? id).sort();
}

export function tenantRequiresMfa(deps: Deps, tenantId: string): boolean {
  return findTenantRequirement(deps, tenantId);
}

export interface TenantMfaRequirement {
  tenantId: string;
  slug: string;
  requireMfa: boolean;
}

/** Requires MFA of a tenant's members, or stops requiring it; audited in the tenant's chain and the platform's. */
export function setTenantMfaRequirement(deps: Deps, caller: Principal, tenantRef: string, requireMfa: boolean): TenantMfaRequirement {
  return deps.sqlite.transaction(() => {
    const tenant = getTenant(deps, tenantRef);
    authorize(deps, caller, 'tenant.mfaPolicy.set', { companyId: tenant.id });
    const before = findTenantRequirement(deps, tenant.id);
    if (before !== requireMfa) {
      upsertTenantRequirement(deps, tenant.id, requireMfa, deps.clock.nowMs());
      const event = {
        actor: caller,
        type: 'tenant.mfa_requirement_updated',
        target: { type: 'tenant', id: tenant.id },
        payload: { requireMfa: { from: before, to: requireMfa } },
      };
      deps.audit.append(tenant.id, event);
      const platform = deps.platformTenantId();
      if (platform !== tenant.id) deps.audit.append(platform, event);
    }
    return { tenantId: tenant.id, slug: tenant.slug, requireMfa };
  })();
}
