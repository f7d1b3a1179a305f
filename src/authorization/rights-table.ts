import type { GlobalRole } from '../identity/tables.ts';
import type { CompanyRole } from '../memberships/tables.ts';

/** Fields of PatchUserRequest; rights are granted per field. Every one is account-wide (the user row). */
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

export type CompanyRight = 'listCompanyUsers' | 'upsertCompanyMembership' | 'listBusinessUnitUsers' | 'upsertBusinessUnitMembership';

export const FULL_RIGHTS: AdminRights = {
  listUsers: true,
  createUser: true,
  patchFields: PATCHABLE_USER_FIELDS,
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
  PLATFORM_SUPERADMIN: FULL_RIGHTS,
  PLATFORM_ADMIN: FULL_RIGHTS,
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
 * Company rows of §5.1: they hold only inside that company. List routes need rank ≥ MANAGER, upserts rank
 * ≥ ADMIN (§5.1a). A row's PATCH/DELETE rights reach a user's account only when every company the user is
 * active in grants them (issue 9 §1; see `accountRightsOver` in policy.ts).
 */
export const COMPANY_RIGHTS: Record<CompanyRole, AdminRights> = {
  TENANT_SUPERADMIN: COMPANY_ADMIN,
  FINANCE: COMPANY_ADMIN,
  ADMIN: COMPANY_ADMIN,
  MANAGER: { ...NOTHING, patchFields: ['approvalStatus', 'isActive'], listCompanyUsers: true, listBusinessUnitUsers: true },
  SUBMITTER: NOTHING,
};
