import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import { checkAccess, checkAccessBatch, type CheckInput } from './decisions.ts';
import type { TenantTokenVerifier } from '../tokens/tenant-tokens.ts';

/** `POST /t/{slug}/v1/authorize` as a caller reaches it: the tenant, the policy (who may ask), then the check. */
export function checkAccessAs(deps: Deps, caller: Principal, slug: string, verifier: TenantTokenVerifier, input: CheckInput) {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'decision.check', { companyId: tenant.id });
  return checkAccess(deps, tenant, verifier, input);
}

export function checkAccessBatchAs(deps: Deps, caller: Principal, slug: string, verifier: TenantTokenVerifier, checks: readonly CheckInput[]) {
  const tenant = getTenant(deps, slug);
  authorize(deps, caller, 'decision.check', { companyId: tenant.id });
  return checkAccessBatch(deps, tenant, verifier, checks);
}
