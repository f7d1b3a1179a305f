import { eq } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { forbidden } from '../app/errors.ts';
import { activeCompanyRole, companyRank, type AdminCaller } from '../memberships/admin-rights.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { EffectiveAccess } from './effective-access.ts';
import { normalizeModules, normalizePermissionLimits, permissionMatches } from './modules.ts';
import { companyAccessSettings, type DelegationLimit, type DelegationLimits } from './tables.ts';
import { isPlatformAdmin } from './platform-staff.ts';

export interface DelegationPolicy {
  limits: DelegationLimits;
  /** Whether MANAGER may create invitations (§4.9 "optionally MANAGER depending on product policy"). */
  managersMayInvite: boolean;
}

export const DEFAULT_POLICY: DelegationPolicy = { limits: { ADMIN: null, MANAGER: null }, managersMayInvite: false };

export function getDelegationPolicy(deps: Deps, companyId: string): DelegationPolicy {
  const row = deps.db.select().from(companyAccessSettings).where(eq(companyAccessSettings.companyId, companyId)).get();
  return row ? { limits: row.delegationLimits, managersMayInvite: row.managersMayInvite } : DEFAULT_POLICY;
}

export function normalizeLimit(limit: DelegationLimit | null | undefined): DelegationLimit | null {
  if (!limit) return null;
  return { modules: normalizeModules(limit.modules), permissions: normalizePermissionLimits(limit.permissions) };
}

/**
 * What a caller may hand out in one company (§15):
 * - platform admins and the operator: everything, to anyone;
 * - TENANT_SUPERADMIN: everything, to anyone in the company;
 * - ADMIN and FINANCE (same rule; FINANCE ranks above ADMIN): anything inside the ADMIN delegation limit
 *   (no limit set → anything), to members ranked at or below themselves;
 * - MANAGER: only modules and permissions it effectively holds itself, inside the MANAGER limit, to members
 *   ranked below it;
 * - SUBMITTER, and anyone without an active membership: nothing.
 */
export interface Authority {
  /** Role the authority comes from, or 'PLATFORM' for platform admins and the operator. */
  source: CompanyRole | 'PLATFORM';
  controlsModule(module: string): boolean;
  controlsPermission(permission: string): boolean;
  /** Whether members of this role are managed by the caller. */
  managesRole(role: CompanyRole): boolean;
}

const EVERYTHING = { controlsModule: () => true, controlsPermission: () => true, managesRole: () => true };

export function callerIsPlatformAdmin(caller: AdminCaller): boolean {
  return caller.kind === 'operator' || isPlatformAdmin(caller.globalRole);
}

export function callerCompanyRole(deps: Deps, caller: AdminCaller, companyId: string): CompanyRole | null {
  return caller.kind === 'user' ? activeCompanyRole(deps, caller.userId, companyId) : null;
}

/**
 * `callerAccess` is the caller's own effective access in the company; only MANAGER needs it (it may hand out
 * only what it holds), so it is computed before the write transaction by the caller of this function.
 */
export function authorityOf(deps: Deps, caller: AdminCaller, companyId: string, callerAccess: EffectiveAccess | null): Authority | null {
  if (callerIsPlatformAdmin(caller)) return { source: 'PLATFORM', ...EVERYTHING };
  const role = callerCompanyRole(deps, caller, companyId);
  if (!role) return null;
  const { limits } = getDelegationPolicy(deps, companyId);
  const inLimit = (limit: DelegationLimit | null) => ({
    module: (m: string) => !limit || limit.modules.includes(m),
    permission: (p: string) => !limit || limit.permissions.some((pattern) => permissionMatches(pattern, p)),
  });
  switch (role) {
    case 'TENANT_SUPERADMIN':
      return { source: role, ...EVERYTHING };
    case 'FINANCE':
    case 'ADMIN': {
      const limit = inLimit(limits.ADMIN);
      return { source: role, controlsModule: limit.module, controlsPermission: limit.permission, managesRole: (r) => companyRank(r) <= companyRank(role) };
    }
    case 'MANAGER': {
      const limit = inLimit(limits.MANAGER);
      const held = new Set(callerAccess?.permissions ?? []);
      return {
        source: role,
        controlsModule: (m) => Boolean(callerAccess?.modules[m]) && limit.module(m),
        controlsPermission: (p) => held.has(p) && limit.permission(p),
        managesRole: (r) => companyRank(r) < companyRank('MANAGER'),
      };
    }
    case 'SUBMITTER':
      return null;
  }
}

export interface AccessChange {
  modules: string[];
  permissions: string[];
}

/**
 * All-or-nothing: every module and permission the change adds or removes must be controlled by the caller,
 * and the target's role must be one the caller manages; otherwise 403 naming what is out of reach.
 */
export function assertMayChangeAccess(authority: Authority | null, targetRole: CompanyRole, change: AccessChange): void {
  if (!authority) throw forbidden('Your role in this company cannot grant or revoke access');
  if (!authority.managesRole(targetRole)) throw forbidden(`A ${authority.source} may not change the access of a ${targetRole}`);
  const modules = change.modules.filter((m) => !authority.controlsModule(m));
  const permissions = change.permissions.filter((p) => !authority.controlsPermission(p));
  if (modules.length || permissions.length) {
    const what = [...modules.map((m) => `module ${m}`), ...permissions.map((p) => `permission ${p}`)].join(', ');
    throw forbidden(`You do not control ${what}; nothing was changed`);
  }
}
