import type { Deps } from '../app/deps.ts';
import { tenantIsActive } from '../tenants/store.ts';
import { selectActiveCompanyRole, selectActiveCompanyRoles } from './store.ts';
import type { CompanyRole } from './tables.ts';

export { hasAnyMembershipIn, hasMembershipOutside } from './store.ts';

/** One active company membership of a user, with whether its company is enabled. */
export interface ActiveMembership {
  companyId: string;
  role: CompanyRole;
  /** A disabled company's memberships stay on record but give no rights until it is enabled again. */
  companyActive: boolean;
}

/** The company's status comes from the tenants context (a prepared lookup by id), not from a join on its table. */
function companyIsActive(deps: Deps, companyId: string): boolean {
  return tenantIsActive(deps, companyId);
}

/** Every active company membership of a user: what the policy weighs a user's standing by. */
export function activeMembershipsOf(deps: Deps, userId: string): ActiveMembership[] {
  return selectActiveCompanyRoles(deps, userId).map((m) => ({ companyId: m.companyId, role: m.role, companyActive: companyIsActive(deps, m.companyId) }));
}

/** The user's role in one company when the membership is active and the company enabled; else null. */
export function activeCompanyRole(deps: Deps, userId: string, companyId: string): CompanyRole | null {
  const role = selectActiveCompanyRole(deps, userId, companyId);
  return role && companyIsActive(deps, companyId) ? role : null;
}

/** Whether the user holds an active company membership in the company (enabled or not): one prepared lookup. */
export function isActiveMemberOf(deps: Deps, userId: string, companyId: string): boolean {
  return selectActiveCompanyRole(deps, userId, companyId) !== undefined;
}
