import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { LEGACY_ROLE } from '../tokens/access-tokens.ts';
import { selectProfileRecord } from './store.ts';
import type { ApprovalStatus, AuthProvider, GlobalRole } from './tables.ts';

/** A company membership as GET /auth/me and GET /internal/users/{id}/context return it (filled by the membership issue). */
export type CompanyMembershipView = Record<string, unknown>;
export type BusinessUnitMembershipView = Record<string, unknown>;

/** The user half of GET /auth/me (§4.6) and GET /internal/users/{id}/context (§5.3); the session half comes from the token. */
export interface UserContext {
  id: string;
  email: string;
  name: string;
  globalRole: GlobalRole;
  roles: string;
  tokenVersion: number;
  isVendor: boolean;
  vendorId: string | null;
  approvalStatus: ApprovalStatus;
  isActive: boolean;
  authProvider: AuthProvider;
  phoneNumber: string | null;
  profilePictureUrl: string | null;
  companyMemberships: CompanyMembershipView[];
  businessUnitMemberships: BusinessUnitMembershipView[];
}


/**
 * Loads a user's own fields, fresh on every call (seed 002 §12.5: no caching inside kimauth). The membership
 * arrays are filled by the memberships context (src/memberships/user-context.ts), which owns that data.
 */
export function loadUserContext(deps: Deps, userId: string): UserContext {
  const r = selectProfileRecord(deps, userId);
  if (!r) throw notFound('User');
  return {
    id: r.id,
    email: r.email,
    name: r.full_name,
    globalRole: r.global_role,
    roles: LEGACY_ROLE[r.global_role],
    tokenVersion: r.token_version,
    // Vendor sessions are not issued by this service (§8: internal users only).
    isVendor: false,
    vendorId: null,
    approvalStatus: r.approval_status,
    isActive: r.is_active === 1,
    authProvider: r.auth_provider,
    phoneNumber: r.phone_number,
    profilePictureUrl: r.profile_picture_url,
    companyMemberships: [],
    businessUnitMemberships: [],
  };
}
