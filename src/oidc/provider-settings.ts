import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { assertPlainText } from '../app/plain-text.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { rotateSigningKey, signingAlgOf, SIGNING_ALGS, type SigningAlg } from '../keys/signing-keys.ts';
import type { SigningKeyRow } from '../keys/tables.ts';
import { getTenant } from '../tenants/tenants.ts';
import { selectBranding, upsertBranding, type TenantBranding } from './store.ts';

/** The algorithm a tenant signs with now: the type of its active key. */
export function tenantSigningAlg(deps: Deps, tenantId: string): SigningAlg {
  return signingAlgOf(deps.keyring.active(tenantId).privateKey);
}

/**
 * `kimauth tenants update acme --signing-alg ES256` (issue 11 §6): rotates to a new key of that type; the old key
 * stays published (inactive) so tokens it signed verify until they expire. Returns null when the tenant already
 * signs with that algorithm.
 */
export async function setTenantSigningAlg(deps: Deps, caller: Principal, tenantRef: string, alg: string): Promise<SigningKeyRow | null> {
  if (!(SIGNING_ALGS as readonly string[]).includes(alg)) throw validationError(`Signing algorithm must be one of ${SIGNING_ALGS.join(', ')}`);
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'tenant.oidc.configure', { companyId: tenant.id });
  if (tenantSigningAlg(deps, tenant.id) === alg) return null;
  return rotateSigningKey(deps, tenant.id, caller, alg as SigningAlg);
}

const ACCENT = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** The hosted sign-in page's display name, logo URL (https) and accent colour (#rgb / #rrggbb); null clears one. */
export function setTenantBranding(deps: Deps, caller: Principal, tenantRef: string, input: Partial<TenantBranding>): TenantBranding {
  const tenant = getTenant(deps, tenantRef);
  if (input.displayName !== undefined && input.displayName !== null) {
    assertPlainText('displayName', input.displayName);
    if (!input.displayName.trim() || input.displayName.length > 100) throw validationError('displayName: 1–100 characters');
  }
  if (input.logoUrl) {
    let ok = false;
    try {
      ok = new URL(input.logoUrl).protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) throw validationError('logoUrl must be an https URL');
  }
  if (input.accentColor && !ACCENT.test(input.accentColor)) throw validationError('accentColor must be #rgb or #rrggbb');
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'tenant.oidc.configure', { companyId: tenant.id });
    const before = selectBranding(deps, tenant.id);
    const next: TenantBranding = {
      displayName: input.displayName === undefined ? before.displayName : input.displayName?.trim() || null,
      logoUrl: input.logoUrl === undefined ? before.logoUrl : input.logoUrl || null,
      accentColor: input.accentColor === undefined ? before.accentColor : input.accentColor || null,
    };
    upsertBranding(deps, tenant.id, next);
    deps.audit.append(tenant.id, { actor: caller, type: 'tenant.branding_updated', target: { type: 'tenant', id: tenant.id }, payload: { ...next } });
    return next;
  })();
}

export function tenantBranding(deps: Deps, tenantId: string): TenantBranding {
  return selectBranding(deps, tenantId);
}
