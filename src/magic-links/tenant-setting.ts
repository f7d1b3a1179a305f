import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import { findTenantMagicLinks, upsertTenantMagicLinks } from './store.ts';

/** Whether the tenant's hosted sign-in page offers "email me a link" (`kimauth tenants update acme --magic-links`). */
export function tenantOffersMagicLinks(deps: Deps, tenantId: string): boolean {
  return findTenantMagicLinks(deps, tenantId);
}

/** Turns the hosted page's magic links on or off; audited in the tenant's chain (a change only when it changes). */
export function setTenantMagicLinks(deps: Deps, caller: Principal, tenantRef: string, enabled: boolean): { tenantId: string; slug: string; magicLinks: boolean } {
  return deps.sqlite.transaction(() => {
    const tenant = getTenant(deps, tenantRef);
    authorize(deps, caller, 'tenant.oidc.configure', { companyId: tenant.id });
    const before = findTenantMagicLinks(deps, tenant.id);
    if (before !== enabled) {
      upsertTenantMagicLinks(deps, tenant.id, enabled, deps.clock.nowMs());
      deps.audit.append(tenant.id, {
        actor: caller,
        type: 'tenant.magic_links_updated',
        target: { type: 'tenant', id: tenant.id },
        payload: { magicLinks: { from: before, to: enabled } },
      });
    }
    return { tenantId: tenant.id, slug: tenant.slug, magicLinks: enabled };
  })();
}
