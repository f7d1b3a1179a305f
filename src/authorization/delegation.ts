import type { EffectiveAccess } from '../access/effective-access.ts';
import { permissionMatches } from '../access/modules.ts';
import type { DelegationLimit, DelegationLimits } from '../access/tables.ts';
import { forbidden, type AppError } from '../app/errors.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import { companyRank } from './roles.ts';

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

export interface AccessChange {
  modules: string[];
  permissions: string[];
}

const EVERYTHING = { controlsModule: () => true, controlsPermission: () => true, managesRole: () => true };

export const PLATFORM_AUTHORITY: Authority = { source: 'PLATFORM', ...EVERYTHING };

/** A company role's authority under the company's limits; `ownAccess` is the caller's own access (MANAGER). */
export function companyAuthority(role: CompanyRole | null, limits: DelegationLimits, ownAccess: EffectiveAccess | null): Authority | null {
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
      const held = new Set(ownAccess?.permissions ?? []);
      return {
        source: role,
        controlsModule: (m) => Boolean(ownAccess?.modules[m]) && limit.module(m),
        controlsPermission: (p) => held.has(p) && limit.permission(p),
        managesRole: (r) => companyRank(r) < companyRank('MANAGER'),
      };
    }
    case 'SUBMITTER':
    case null:
      return null;
  }
}

/**
 * All-or-nothing: every module and permission the change adds or removes must be controlled by the caller,
 * and the target's role must be one the caller manages; otherwise 403 naming what is out of reach.
 */
export function accessChangeRefusal(authority: Authority | null, targetRole: CompanyRole, change: AccessChange): AppError | null {
  if (!authority) return forbidden('Your role in this company cannot grant or revoke access');
  if (!authority.managesRole(targetRole)) return forbidden(`A ${authority.source} may not change the access of a ${targetRole}`);
  const modules = change.modules.filter((m) => !authority.controlsModule(m));
  const permissions = change.permissions.filter((p) => !authority.controlsPermission(p));
  if (modules.length || permissions.length) {
    const what = [...modules.map((m) => `module ${m}`), ...permissions.map((p) => `permission ${p}`)].join(', ');
    return forbidden(`You do not control ${what}; nothing was changed`);
  }
  return null;
}
