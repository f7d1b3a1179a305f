import type { Deps } from '../app/deps.ts';
import { forbidden, notFound, validationError } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import type { UserPrincipal } from '../authorization/principal.ts';
import { findUserById } from '../identity/users.ts';
import { listCompanyMembershipsOfUser, type CompanyMembershipEntry } from '../memberships/memberships.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import { ME_ACCESS_CACHE_LIMIT } from './access-caches.ts';
import { getCompanyEntitlements } from './entitlements.ts';
import { effectiveAccessFrom, readGrants } from './membership-access.ts';
import { selectAccessVersion, selectDefaultCompanyId, upsertDefaultCompany } from './store.ts';
import { selectDisabledTenantIds } from '../tenants/store.ts';
import { effectivePermissionsOf } from '../permissions/effective-permissions.ts';

/** The body of GET /auth/me/access (seed 002 §4.7), exactly. */
export interface MeAccess {
  activeCompanyId: string;
  user: { id: string; email: string; name: string };
  companies: Array<{ companyId: string; role: CompanyRole; modules: Record<string, boolean>; permissions: string[] }>;
  global: { platformRole: string };
  meta: { generatedAt: string };
}

/** The current access_version (bumped by triggers on every write that can change access). */
export function currentAccessVersion(deps: Deps): number {
  return selectAccessVersion(deps);
}

/**
 * The active company: the x-org header (company id or slug) when sent; else the user's chosen default
 * company; else their only membership; else 400. A company without an active membership is 403 — for
 * platform staff too: §4.7 computes access only through a membership.
 */
function selectCompany(deps: Deps, userId: string, memberships: CompanyMembershipEntry[], xOrg: string | undefined): CompanyMembershipEntry {
  if (xOrg) {
    const match = memberships.find((m) => m.companyId === xOrg || m.companySlug === xOrg.toLowerCase());
    if (!match) throw forbidden('You have no active membership in this company');
    return match;
  }
  const preferred = selectDefaultCompanyId(deps, userId);
  const chosen = preferred ? memberships.find((m) => m.companyId === preferred) : undefined;
  if (chosen) return chosen;
  if (memberships.length === 1) return memberships[0];
  throw validationError(
    memberships.length === 0
      ? 'You have no active company membership'
      : 'Send the x-org header (companyId): you belong to several companies and have no default company',
  );
}

async function computeMeAccess(deps: Deps, userId: string, xOrg: string | undefined): Promise<{ body: MeAccess; validUntilMs: number }> {
  const user = findUserById(deps, userId);
  if (!user) throw notFound('User');
  const disabled = new Set(selectDisabledTenantIds(deps));
  const memberships = listCompanyMembershipsOfUser(deps, userId, { activeOnly: true }).filter(
    (m) => m.companySlug !== 'master' && !disabled.has(m.companyId),
  );
  const active = selectCompany(deps, userId, memberships, xOrg);
  let validUntilMs = Number.POSITIVE_INFINITY;
  const companies = await Promise.all(
    memberships.map(async (m) => {
      const entitlements = await getCompanyEntitlements(deps, m.companyId);
      validUntilMs = Math.min(validUntilMs, entitlements.freshUntilMs);
      const access = effectiveAccessFrom(deps, entitlements, readGrants(deps, m.companyId, userId));
      // The permissions are the one effective set (direct ∪ roles ∪ groups, module-filtered) that `can` carries too.
      const permissions = effectivePermissionsOf(deps, m.companyId, { type: 'user', id: userId }).permissions;
      return { companyId: m.companyId, role: m.role, modules: access.modules, permissions };
    }),
  );
  return {
    body: {
      activeCompanyId: active.companyId,
      user: { id: user.id, email: user.email, name: user.fullName },
      companies,
      global: { platformRole: user.globalRole },
      meta: { generatedAt: deps.clock.now().toISOString() },
    },
    validUntilMs,
  };
}

/**
 * GET /auth/me/access, cached per (user, x-org) as the serialized body. An entry is used only while
 * access_version is unchanged (so any membership, grant, permission, entitlement or tokenVersion change is
 * seen on the very next call, from any process) and, with remote entitlements, while they are fresh.
 * `meta.generatedAt` is when the answer was computed.
 */
export async function meAccessBody(deps: Deps, caller: UserPrincipal, xOrg: string | undefined): Promise<string> {
  const userId = caller.id;
  authorize(deps, caller, 'user.context.read', { userId });
  const cache = deps.accessCaches.meAccess;
  const key = `${userId}\u0000${xOrg ?? ''}`;
  const version = currentAccessVersion(deps);
  const hit = cache.get(key);
  if (hit && hit.version === version && deps.clock.nowMs() < hit.validUntilMs) return hit.value as string;

  const { body, validUntilMs } = await computeMeAccess(deps, userId, xOrg);
  const value = JSON.stringify({ success: true, data: body });
  if (cache.size >= ME_ACCESS_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, { version, validUntilMs, value });
  return value;
}

/** PUT /auth/me/default-company: the company /auth/me/access uses without x-org; null clears it. */
export function setDefaultCompany(deps: Deps, caller: UserPrincipal, companyRef: string | null): { defaultCompanyId: string | null } {
  const userId = caller.id;
  return deps.sqlite.transaction(() => {
    let companyId: string | null = null;
    if (companyRef) {
      const membership = listCompanyMembershipsOfUser(deps, userId, { activeOnly: true }).find(
        (m) => m.companyId === companyRef || m.companySlug === companyRef.toLowerCase(),
      );
      if (!membership) throw forbidden('You have no active membership in this company');
      companyId = membership.companyId;
    }
    const now = deps.clock.now();
    upsertDefaultCompany(deps, userId, companyId, now);
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'user.default_company_set',
      target: { type: 'user', id: userId },
      payload: { companyId },
    });
    return { defaultCompanyId: companyId };
  })();
}
