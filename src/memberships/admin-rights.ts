import { and, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Deps } from '../app/deps.ts';
import { forbidden } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import type { GlobalRole, UserRow } from '../identity/tables.ts';
import { COMPANY_ROLES, companyMemberships, type CompanyRole } from './tables.ts';
import { tenants } from '../tenants/tables.ts';

/** Fields of PatchUserRequest; rights are granted per field. */
export const PATCHABLE_USER_FIELDS = [
  'email',
  'password',
  'fullName',
  'phoneNumber',
  'profilePictureUrl',
  'authProvider',
  'globalRole',
  'approvalStatus',
  'isActive',
] as const;
export type PatchableUserField = (typeof PATCHABLE_USER_FIELDS)[number];

const ALL_FIELDS = PATCHABLE_USER_FIELDS;
const ALL_BUT_GLOBAL_ROLE = PATCHABLE_USER_FIELDS.filter((f) => f !== 'globalRole');

/** One row of the seed 002 §5.1 table. */
export interface AdminRights {
  listUsers: boolean;
  createUser: boolean;
  patchFields: readonly PatchableUserField[];
  deleteUser: boolean;
  listCompanyUsers: boolean;
  upsertCompanyMembership: boolean;
  listBusinessUnitUsers: boolean;
  upsertBusinessUnitMembership: boolean;
}

export type CompanyAction = 'listCompanyUsers' | 'upsertCompanyMembership' | 'listBusinessUnitUsers' | 'upsertBusinessUnitMembership';

const FULL: AdminRights = {
  listUsers: true,
  createUser: true,
  patchFields: ALL_FIELDS,
  deleteUser: true,
  listCompanyUsers: true,
  upsertCompanyMembership: true,
  listBusinessUnitUsers: true,
  upsertBusinessUnitMembership: true,
};

const NOTHING: AdminRights = {
  listUsers: false,
  createUser: false,
  patchFields: [],
  deleteUser: false,
  listCompanyUsers: false,
  upsertCompanyMembership: false,
  listBusinessUnitUsers: false,
  upsertBusinessUnitMembership: false,
};

/**
 * Platform rows of §5.1: they hold in every company and over every user. A platform role decides alone — a
 * moderator who also holds a company role is still a moderator here (§5.1: "never" upserts memberships).
 */
export const PLATFORM_RIGHTS: Record<Exclude<GlobalRole, 'NONE'>, AdminRights> = {
  PLATFORM_SUPERADMIN: FULL,
  PLATFORM_ADMIN: FULL,
  PLATFORM_MODERATOR: {
    ...NOTHING,
    listUsers: true,
    patchFields: ['approvalStatus'],
    listCompanyUsers: true,
    listBusinessUnitUsers: true,
  },
};

const COMPANY_ADMIN: AdminRights = {
  ...NOTHING,
  patchFields: ALL_BUT_GLOBAL_ROLE,
  deleteUser: true,
  listCompanyUsers: true,
  upsertCompanyMembership: true,
  listBusinessUnitUsers: true,
  upsertBusinessUnitMembership: true,
};

/**
 * Company rows of §5.1: they hold only inside that company, and PATCH/DELETE only over users who share it.
 * List routes need rank ≥ MANAGER, upserts rank ≥ ADMIN (§5.1a).
 */
export const COMPANY_RIGHTS: Record<CompanyRole, AdminRights> = {
  TENANT_SUPERADMIN: COMPANY_ADMIN,
  FINANCE: COMPANY_ADMIN,
  ADMIN: COMPANY_ADMIN,
  MANAGER: { ...NOTHING, patchFields: ['approvalStatus', 'isActive'], listCompanyUsers: true, listBusinessUnitUsers: true },
  SUBMITTER: NOTHING,
};

/**
 * Who asks. The CLI is the platform operator at the machine and has full rights; an HTTP caller is a user
 * whose rights come from their globalRole and company memberships.
 */
export type AdminCaller =
  | { kind: 'operator'; actor: Actor }
  | { kind: 'user'; actor: Actor; userId: string; globalRole: GlobalRole };

/** Higher is stronger: TENANT_SUPERADMIN 5 … SUBMITTER 1. */
export function companyRank(role: CompanyRole): number {
  return COMPANY_ROLES.length - COMPANY_ROLES.indexOf(role);
}

/** The platform row that applies to the caller, or null for a user without a platform role. */
export function platformRightsOf(caller: AdminCaller): AdminRights | null {
  if (caller.kind === 'operator') return FULL;
  return caller.globalRole === 'NONE' ? null : PLATFORM_RIGHTS[caller.globalRole];
}

export function activeCompanyRole(deps: Deps, userId: string, companyId: string): CompanyRole | null {
  // A disabled company's memberships stay on record but give no rights until it is enabled again.
  const row = deps
    .statement(
      `SELECT m.role FROM company_memberships m JOIN tenants t ON t.id = m.company_id
        WHERE m.user_id = ? AND m.company_id = ? AND m.is_active = 1 AND t.status = 'active'`,
    )
    .get(userId, companyId) as { role: CompanyRole } | undefined;
  return row?.role ?? null;
}

interface SharedCompany {
  companyId: string;
  callerRole: CompanyRole;
  targetRole: CompanyRole;
}

/** Companies where both users hold an active membership, with each one's role there. */
function sharedCompanies(deps: Deps, callerId: string, targetId: string): SharedCompany[] {
  const target = alias(companyMemberships, 'target');
  return deps.db
    .select({ companyId: companyMemberships.companyId, callerRole: companyMemberships.role, targetRole: target.role })
    .from(companyMemberships)
    .innerJoin(target, and(eq(target.companyId, companyMemberships.companyId), eq(target.userId, targetId), eq(target.isActive, true)))
    // A disabled company gives its admins no rights over its members.
    .innerJoin(tenants, and(eq(tenants.id, companyMemberships.companyId), eq(tenants.status, 'active')))
    .where(and(eq(companyMemberships.userId, callerId), eq(companyMemberships.isActive, true)))
    .all();
}

/**
 * The company rows that let the caller manage the target: only companies both share, and only where the
 * caller ranks at least as high as the target (§15: nobody manages what they do not control). Platform staff
 * are never managed through a company role.
 */
function companyRightsOver(deps: Deps, callerId: string, target: UserRow): AdminRights[] {
  if (target.globalRole !== 'NONE') return [];
  return sharedCompanies(deps, callerId, target.id)
    .filter((s) => companyRank(s.callerRole) >= companyRank(s.targetRole))
    .map((s) => COMPANY_RIGHTS[s.callerRole]);
}

function isPlatformAdminRole(role: GlobalRole): boolean {
  return role === 'PLATFORM_ADMIN' || role === 'PLATFORM_SUPERADMIN';
}

export function allowedPatchFields(deps: Deps, caller: AdminCaller, target: UserRow): Set<PatchableUserField> {
  const platform = platformRightsOf(caller);
  // A moderator's approval right does not reach the platform admins above them.
  if (caller.kind === 'user' && caller.globalRole === 'PLATFORM_MODERATOR' && isPlatformAdminRole(target.globalRole)) return new Set();
  if (platform) return new Set(platform.patchFields);
  if (caller.kind !== 'user') return new Set();
  return new Set(companyRightsOver(deps, caller.userId, target).flatMap((r) => r.patchFields));
}

export function assertMayListUsers(caller: AdminCaller): void {
  if (!platformRightsOf(caller)?.listUsers) throw forbidden('Listing all users is for platform staff only');
}

export function assertMayCreateUser(caller: AdminCaller): void {
  if (!platformRightsOf(caller)?.createUser) throw forbidden('Only PLATFORM_ADMIN or PLATFORM_SUPERADMIN may create users');
}

export function assertMayPatchUser(deps: Deps, caller: AdminCaller, target: UserRow, fields: PatchableUserField[]): void {
  const allowed = allowedPatchFields(deps, caller, target);
  const refused = fields.filter((f) => !allowed.has(f));
  if (refused.length > 0) throw forbidden(`You may not change ${refused.join(', ')} of this user`);
}

export function assertMayDeleteUser(deps: Deps, caller: AdminCaller, target: UserRow): void {
  const platform = platformRightsOf(caller);
  const allowed = platform
    ? platform.deleteUser
    : caller.kind === 'user' && companyRightsOver(deps, caller.userId, target).some((r) => r.deleteUser);
  if (!allowed) throw forbidden('You may not delete this user');
}

/**
 * The caller's standing in one company for a company route: a platform row, else their active membership's
 * row. Returns the caller's company role (null for platform staff and the operator) for delegation checks.
 */
export function assertMayInCompany(deps: Deps, caller: AdminCaller, companyId: string, action: CompanyAction): CompanyRole | null {
  const platform = platformRightsOf(caller);
  if (platform) {
    if (!platform[action]) throw forbidden(`Your platform role may not do this (${action})`);
    return null;
  }
  const role = caller.kind === 'user' ? activeCompanyRole(deps, caller.userId, companyId) : null;
  if (!role || !COMPANY_RIGHTS[role][action]) {
    throw forbidden(action.startsWith('list') ? 'Listing users needs rank MANAGER or higher in this company' : 'Changing memberships needs rank ADMIN or higher in this company');
  }
  return role;
}

/** §15 delegation: a company role can grant, and change, only roles at or below its own rank. */
export function assertMayGrantCompanyRole(callerRole: CompanyRole | null, current: CompanyRole | null, next: CompanyRole): void {
  if (callerRole === null) return;
  if (companyRank(next) > companyRank(callerRole)) throw forbidden(`A ${callerRole} may not grant ${next}`);
  if (current && companyRank(current) > companyRank(callerRole)) throw forbidden(`A ${callerRole} may not change the membership of a ${current}`);
}
