import type { Deps } from '../app/deps.ts';
import type { CompanyRole } from './tables.ts';

/** One active company membership of a user, with whether its company is enabled. */
export interface ActiveMembership {
  companyId: string;
  role: CompanyRole;
  /** A disabled company's memberships stay on record but give no rights until it is enabled again. */
  companyActive: boolean;
}

/** Every active company membership of a user (one prepared query): what the policy weighs a user's standing by. */
export function activeMembershipsOf(deps: Deps, userId: string): ActiveMembership[] {
  const rows = deps
    .statement(
      `SELECT m.company_id, m.role, t.status FROM company_memberships m JOIN tenants t ON t.id = m.company_id
        WHERE m.user_id = ? AND m.is_active = 1`,
    )
    .all(userId) as { company_id: string; role: CompanyRole; status: string }[];
  return rows.map((r) => ({ companyId: r.company_id, role: r.role, companyActive: r.status === 'active' }));
}

/** The user's role in one company when the membership is active and the company enabled; else null. */
export function activeCompanyRole(deps: Deps, userId: string, companyId: string): CompanyRole | null {
  const row = deps
    .statement(
      `SELECT m.role FROM company_memberships m JOIN tenants t ON t.id = m.company_id
        WHERE m.user_id = ? AND m.company_id = ? AND m.is_active = 1 AND t.status = 'active'`,
    )
    .get(userId, companyId) as { role: CompanyRole } | undefined;
  return row?.role ?? null;
}

/** Whether the user has any membership row (company or business unit, active or not) in the company. */
export function hasAnyMembershipIn(deps: Deps, userId: string, companyId: string): boolean {
  return (
    deps
      .statement(
        `SELECT 1 FROM company_memberships WHERE user_id = ? AND company_id = ?
          UNION ALL SELECT 1 FROM business_unit_memberships WHERE user_id = ? AND company_id = ? LIMIT 1`,
      )
      .get(userId, companyId, userId, companyId) !== undefined
  );
}

/**
 * Whether the user has (or had: inactive rows count) a membership in any company other than this one: such an
 * account belongs to someone another company knows, so this one adds it only with the user's consent.
 */
export function hasMembershipOutside(deps: Deps, userId: string, companyId: string): boolean {
  return (
    deps
      .statement(
        `SELECT 1 FROM company_memberships WHERE user_id = ? AND company_id <> ?
          UNION ALL SELECT 1 FROM business_unit_memberships WHERE user_id = ? AND company_id <> ? LIMIT 1`,
      )
      .get(userId, companyId, userId, companyId) !== undefined
  );
}

/** Whether the user holds an active company membership in the company (enabled or not): one prepared lookup. */
export function isActiveMemberOf(deps: Deps, userId: string, companyId: string): boolean {
  return deps.statement('SELECT 1 FROM company_memberships WHERE user_id = ? AND company_id = ? AND is_active = 1').get(userId, companyId) !== undefined;
}
