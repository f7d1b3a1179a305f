import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import { checkAccess, checkAccessBatch, type CheckInput } from './decisions.ts';
import type { TenantTokenVerifier } from '../tokens/tenant-tokens.ts';

/**
 * `POST /t/{slug}/v1/authorize` as a caller reaches it: the tenant, the policy (who may ask), then the check. All
 * its reads (a token subject's check makes seven) run in one read snapshot: one answer from one state of the store,
 * and one WAL read lock (a committed-read cache's `PRAGMA data_version` outside a transaction takes one too).
 */
export function checkAccessAs(deps: Deps, caller: Principal, slug: string, verifier: TenantTokenVerifier, input: CheckInput) {
  return deps.readSnapshot(() => {
    const tenant = getTenant(deps, slug);
    authorize(deps, caller, 'decision.check', { companyId: tenant.id });
    return checkAccess(deps, tenant, verifier, input);
  });
}

export function checkAccessBatchAs(deps: Deps, caller: Principal, slug: string, verifier: TenantTokenVerifier, checks: readonly CheckInput[]) {
  return deps.readSnapshot(() => {
    const tenant = getTenant(deps, slug);
    authorize(deps, caller, 'decision.check', { companyId: tenant.id });
    return checkAccessBatch(deps, tenant, verifier, checks);
  });
}
