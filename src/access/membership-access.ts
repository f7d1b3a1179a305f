import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { authorize, needsOwnAccess } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { companyMembershipOf } from '../memberships/memberships.ts';
import type { CompanyMembershipRow, CompanyRole } from '../memberships/tables.ts';
import { getCompanyById as getCompany } from '../tenants/tenants.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { getDelegationPolicy, normalizeLimit, type DelegationPolicy } from './delegation-limits.ts';
import { computeEffectiveAccess, type EffectiveAccess } from './effective-access.ts';
import { catalogModules, getCompanyEntitlements, type CompanyEntitlements } from './entitlements.ts';
import { normalizeModules, normalizePermissions } from './modules.ts';
import {
  deleteModuleGrant,
  deletePermissionGrant,
  insertModuleGrant,
  insertPermissionGrant,
  selectModuleGrants,
  selectPermissionGrants,
  upsertAccessSettings,
} from './store.ts';
import type { DelegationLimits } from './tables.ts';
import { effectivePermissionsOf } from '../permissions/effective-permissions.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';

export interface Grants {
  modules: string[];
  permissions: string[];
}

export function readGrants(deps: Deps, companyId: string, userId: string): Grants {
  return { modules: selectModuleGrants(deps, companyId, userId).sort(), permissions: selectPermissionGrants(deps, companyId, userId).sort() };
}

/** §16 for one membership, given the company's entitlements. */
export function effectiveAccessFrom(deps: Deps, entitlements: CompanyEntitlements, grants: Grants): EffectiveAccess {
  return computeEffectiveAccess({
    knownModules: [...catalogModules(deps), ...entitlements.listed],
    entitlements: entitlements.modules,
    moduleGrants: grants.modules,
    permissions: grants.permissions,
  });
}

function membershipOf(deps: Deps, companyId: string, userId: string): CompanyMembershipRow | undefined {
  return companyMembershipOf(deps, userId, companyId);
}

/** A user's effective access in a company; nothing when the membership is missing or inactive. */
export async function effectiveAccessOf(deps: Deps, companyId: string, userId: string): Promise<EffectiveAccess | null> {
  const membership = membershipOf(deps, companyId, userId);
  if (!membership?.isActive) return null;
  const entitlements = await getCompanyEntitlements(deps, companyId);
  return withAllPermissions(deps, companyId, userId, effectiveAccessFrom(deps, entitlements, readGrants(deps, companyId, userId)));
}

/** The permissions that take effect are the one effective set: direct ∪ access roles ∪ groups (src/permissions). */
function withAllPermissions(deps: Deps, companyId: string, userId: string, access: EffectiveAccess): EffectiveAccess {
  return { modules: access.modules, permissions: effectivePermissionsOf(deps, companyId, { type: 'user', id: userId }).permissions };
}

export interface MembershipAccessView {
  companyId: string;
  userId: string;
  role: CompanyRole;
  isActive: boolean;
  /** What is stored (level 2 and 3 grants). */
  grants: Grants;
  /** What takes effect now (§16). */
  effective: EffectiveAccess;
}

/**
 * Reading a member's access: platform staff, the member, or a member of the company ranked MANAGER or
 * higher (the §5.1a rule for seeing a company's users).
 */
export async function getMembershipAccess(deps: Deps, caller: Principal, companyId: string, userId: string): Promise<MembershipAccessView> {
  const company = getCompany(deps, companyId);
  authorize(deps, caller, 'access.read', { companyId: company.id, userId });
  return membershipAccessView(deps, company, userId);
}

async function membershipAccessView(deps: Deps, company: TenantRow, userId: string): Promise<MembershipAccessView> {
  const membership = membershipOf(deps, company.id, userId);
  if (!membership) throw notFound(`Membership of user "${userId}" in company "${company.slug}"`);
  const grants = readGrants(deps, company.id, userId);
  const entitlements = await getCompanyEntitlements(deps, company.id);
  const effective = withAllPermissions(deps, company.id, userId, effectiveAccessFrom(deps, entitlements, grants));
  return { companyId: company.id, userId, role: membership.role, isActive: membership.isActive, grants, effective };
}

export interface SetAccessInput {
  /** Omitted → module grants unchanged; a list replaces them. */
  modules?: string[];
  permissions?: string[];
}

function diff(before: string[], after: string[]) {
  return { added: after.filter((v) => !before.includes(v)), removed: before.filter((v) => !after.includes(v)) };
}

/**
 * Writes grants inside the caller's transaction and audits each change in the company's chain. The caller
 * has already checked delegation. Used by setMembershipAccess and by invitation acceptance.
 */
export function writeGrants(deps: Deps, companyId: string, userId: string, next: Partial<Grants>, actor: Actor): { changed: boolean } {
  if (!deps.sqlite.inTransaction) throw new Error('writeGrants must run inside the transaction of its change');
  const before = readGrants(deps, companyId, userId);
  const now = deps.clock.now();
  const grant = { companyId, userId, grantedBy: actor.id, createdAt: now };
  let changed = false;
  const audit = (type: string, payload: Record<string, unknown>) =>
    deps.audit.append(companyId, { actor, type, target: { type: 'user', id: userId }, payload: { companyId, ...payload } });

  if (next.modules) {
    const { added, removed } = diff(before.modules, next.modules);
    for (const module of removed) deleteModuleGrant(deps, companyId, userId, module);
    for (const module of added) insertModuleGrant(deps, grant, module);
    for (const module of added) audit('module.granted', { module });
    for (const module of removed) audit('module.revoked', { module });
    changed ||= added.length + removed.length > 0;
  }
  if (next.permissions) {
    const { added, removed } = diff(before.permissions, next.permissions);
    for (const permission of removed) deletePermissionGrant(deps, companyId, userId, permission);
    for (const permission of added) insertPermissionGrant(deps, grant, permission);
    for (const permission of added) audit('permission.granted', { permission });
    for (const permission of removed) audit('permission.revoked', { permission });
    changed ||= added.length + removed.length > 0;
  }
  return { changed };
}

/**
 * The caller's own effective access in a company, for the delegation rules that bound a MANAGER by what it
 * holds (§15); null when the policy does not need it. Async (entitlements may be remote): load it before the
 * write transaction.
 */
export async function ownAccessFor(deps: Deps, caller: Principal, companyId: string): Promise<EffectiveAccess | null> {
  return needsOwnAccess(caller) ? effectiveAccessOf(deps, companyId, caller.id) : null;
}

/**
 * Replaces a member's module grants and/or permissions. Every added or removed item must be under the
 * caller's control (§15); otherwise 403 and nothing changes.
 */
export async function setMembershipAccess(deps: Deps, caller: Principal, companyId: string, userId: string, input: SetAccessInput): Promise<MembershipAccessView> {
  const company = getCompany(deps, companyId);
  const next: Partial<Grants> = {
    modules: input.modules && normalizeModules(input.modules),
    permissions: input.permissions && normalizePermissions(input.permissions),
  };
  const ownAccess = await ownAccessFor(deps, caller, company.id);
  deps.sqlite.transaction(() => {
    const membership = membershipOf(deps, company.id, userId);
    if (!membership) throw notFound(`Membership of user "${userId}" in company "${company.slug}"`);
    const before = readGrants(deps, company.id, userId);
    const modules = next.modules ? diff(before.modules, next.modules) : { added: [], removed: [] };
    const permissions = next.permissions ? diff(before.permissions, next.permissions) : { added: [], removed: [] };
    authorize(deps, caller, 'access.change', {
      companyId: company.id,
      targetRole: membership.role,
      change: { modules: [...modules.added, ...modules.removed], permissions: [...permissions.added, ...permissions.removed] },
      ownAccess,
    });
    trackPermissionChanges(deps, company.id, caller, () => [userId], () => writeGrants(deps, company.id, userId, next, caller));
  })();
  return membershipAccessView(deps, company, userId);
}

export interface SetDelegationPolicyInput {
  limits?: Partial<DelegationLimits>;
  managersMayInvite?: boolean;
}

export function readDelegationPolicy(deps: Deps, caller: Principal, companyId: string): DelegationPolicy {
  const company = getCompany(deps, companyId);
  authorize(deps, caller, 'delegation.read', { companyId: company.id });
  return getDelegationPolicy(deps, company.id);
}

/** Only TENANT_SUPERADMIN (and platform admins) define what ADMIN and MANAGER may hand out (§15). */
export function setDelegationPolicy(deps: Deps, caller: Principal, companyId: string, input: SetDelegationPolicyInput): DelegationPolicy {
  const company = getCompany(deps, companyId);
  const limits = input.limits ?? {};
  const normalized: Partial<DelegationLimits> = {};
  if ('ADMIN' in limits) normalized.ADMIN = normalizeLimit(limits.ADMIN);
  if ('MANAGER' in limits) normalized.MANAGER = normalizeLimit(limits.MANAGER);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'delegation.set', { companyId: company.id });
    const before = getDelegationPolicy(deps, company.id);
    const after: DelegationPolicy = {
      limits: { ...before.limits, ...normalized },
      managersMayInvite: input.managersMayInvite ?? before.managersMayInvite,
    };
    const now = deps.clock.now();
    upsertAccessSettings(deps, company.id, { delegationLimits: after.limits, managersMayInvite: after.managersMayInvite }, now);
    deps.audit.append(company.id, {
      actor: caller,
      type: 'delegation.updated',
      target: { type: 'tenant', id: company.id },
      payload: { before, after },
    });
    return after;
  })();
}
