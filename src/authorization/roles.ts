import type { GlobalRole } from '../identity/tables.ts';
import { COMPANY_ROLES, type CompanyRole } from '../memberships/tables.ts';

/** PLATFORM_ADMIN and the legacy PLATFORM_SUPERADMIN may change anything on the platform (seed 002 §5.1). */
export const PLATFORM_ADMIN_ROLES = ['PLATFORM_SUPERADMIN', 'PLATFORM_ADMIN'] as const satisfies readonly GlobalRole[];

export function isPlatformAdmin(role: GlobalRole): boolean {
  return role === 'PLATFORM_ADMIN' || role === 'PLATFORM_SUPERADMIN';
}

/** Platform staff also includes PLATFORM_MODERATOR, who may read. */
export function isPlatformStaff(role: GlobalRole): boolean {
  return role !== 'NONE';
}

/** Higher is stronger: TENANT_SUPERADMIN 5 … SUBMITTER 1. */
export function companyRank(role: CompanyRole): number {
  return COMPANY_ROLES.length - COMPANY_ROLES.indexOf(role);
}
