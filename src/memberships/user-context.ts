import { eq } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { users, type GlobalRole } from '../identity/tables.ts';
import { LEGACY_ROLE } from '../tokens/access-tokens.ts';
import {
  listBusinessUnitMembershipsOfUser,
  listCompanyMembershipsOfUser,
  type BusinessUnitMembershipEntry,
  type CompanyMembershipEntry,
} from './memberships.ts';

/** The user fields of GET /auth/me without `sessionId` (seed 002 §4.6, §5.1a). */
export interface UserContext {
  id: string;
  email: string;
  name: string;
  globalRole: GlobalRole;
  roles: string;
  tokenVersion: number;
  isVendor: false;
  vendorId: null;
  companyMemberships: CompanyMembershipEntry[];
  businessUnitMemberships: BusinessUnitMembershipEntry[];
}

/**
 * GET /internal/users/{id}/context, and the body of GET /auth/me (which adds sessionId). Fresh reads every
 * call (§12.5); memberships are returned active or not, each with its `isActive`.
 */
export function userContext(deps: Deps, userId: string): UserContext {
  const user = deps.db.select().from(users).where(eq(users.id, userId)).get();
  if (!user || user.deletedAt) throw notFound(`User "${userId}"`);
  return {
    id: user.id,
    email: user.email,
    name: user.fullName,
    globalRole: user.globalRole,
    roles: LEGACY_ROLE[user.globalRole],
    tokenVersion: user.tokenVersion,
    isVendor: false,
    vendorId: null,
    companyMemberships: listCompanyMembershipsOfUser(deps, user.id),
    businessUnitMemberships: listBusinessUnitMembershipsOfUser(deps, user.id),
  };
}
