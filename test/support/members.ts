import type { Deps } from '../../src/app/deps.ts';
import { upsertBusinessUnitMembership, upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import type { CompanyRole } from '../../src/memberships/tables.ts';
import type { GlobalRole, UserRow } from '../../src/identity/tables.ts';
import { createUser } from '../../src/identity/users.ts';
import { TEST_ACTOR } from './deps.ts';

const OPERATOR = TEST_ACTOR;

/** An approved, active user without a password (no argon2 cost). */
export function createActiveUser(deps: Deps, email: string, globalRole: GlobalRole = 'NONE'): Promise<UserRow> {
  return createUser(deps, { email, fullName: email.split('@')[0], approvalStatus: 'APPROVED', isActive: true, globalRole }, TEST_ACTOR);
}

/** Makes `user` a member of the company with `role` (MANAGER gets the business-unit membership §5.1 needs). */
export function addMember(deps: Deps, companyId: string, userId: string, role: CompanyRole): void {
  if (role === 'MANAGER') upsertBusinessUnitMembership(deps, OPERATOR, companyId, 'bu-1', { userId, role: 'APPROVER' });
  upsertCompanyMembership(deps, OPERATOR, companyId, { userId, role });
}

export async function createMember(deps: Deps, companyId: string, email: string, role: CompanyRole): Promise<UserRow> {
  const user = await createActiveUser(deps, email);
  addMember(deps, companyId, user.id, role);
  return user;
}
