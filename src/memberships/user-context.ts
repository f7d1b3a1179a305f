import type { Deps } from '../app/deps.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { loadUserContext, type UserContext as ProfileContext } from '../identity/profile.ts';
import {
  listBusinessUnitMembershipsOfUser,
  listCompanyMembershipsOfUser,
  type BusinessUnitMembershipEntry,
  type CompanyMembershipEntry,
} from './memberships.ts';

/** The user fields of GET /auth/me without `sessionId` (seed 002 §4.6, §5.1a), with the user's memberships. */
export interface UserContext extends ProfileContext {
  companyMemberships: CompanyMembershipEntry[];
  businessUnitMemberships: BusinessUnitMembershipEntry[];
}

/**
 * GET /internal/users/{id}/context, and the body of GET /auth/me (which adds sessionId). Fresh reads every
 * call (§12.5); memberships are returned active or not, each with its `isActive`. The user themself, or a
 * backend with the internal API key.
 */
export function userContext(deps: Deps, caller: Principal, userId: string): UserContext {
  authorize(deps, caller, 'user.context.read', { userId });
  return {
    ...loadUserContext(deps, userId),
    companyMemberships: listCompanyMembershipsOfUser(deps, userId),
    businessUnitMemberships: listBusinessUnitMembershipsOfUser(deps, userId),
  };
}
