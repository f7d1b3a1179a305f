import { selectTenantBySlug } from './store.ts';
import type { Deps } from '../app/deps.ts';

export interface TenantRef {
  id: string;
  slug: string;
  name: string;
  active: boolean;
}

/** A tenant by its exact slug, with one prepared read (the OIDC endpoints resolve `/t/{slug}/` on every request). */
export function tenantBySlug(deps: Deps, slug: string): TenantRef | undefined {
  const r = selectTenantBySlug(deps, slug);
  return r ? { id: r.id, slug: r.slug, name: r.name, active: r.status === 'active' } : undefined;
}
