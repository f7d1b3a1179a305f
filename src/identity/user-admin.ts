import { and, asc, count, eq, inArray, isNull, ne, type SQL } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { bumpTokenVersion, revokeAllSessions } from '../sessions/sessions.ts';
import {
  assertMayCreateUser,
  assertMayDeleteUser,
  assertMayInCompany,
  assertMayListUsers,
  assertMayPatchUser,
  PATCHABLE_USER_FIELDS,
  type AdminCaller,
  type PatchableUserField,
} from '../memberships/admin-rights.ts';
import {
  businessUnitMembershipsOfUsers,
  companyMembershipsOfUsers,
  getCompany,
  memberIdsOfCompany,
  type BusinessUnitMembershipEntry,
  type CompanyMembershipEntry,
  type MembershipFilter,
} from '../memberships/memberships.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { issueSetPasswordToken } from './set-password-tokens.ts';
import { users, type ApprovalStatus, type AuthProvider, type GlobalRole, type UserRow } from './tables.ts';
import { createUser, normalizeEmail, type CreateUserInput } from './users.ts';

/** The seed's AdminUserOut: the user row without secrets, with memberships (company rows + BU rows). */
export interface AdminUserOut {
  id: string;
  email: string;
  fullName: string;
  phoneNumber: string | null;
  profilePictureUrl: string | null;
  authProvider: AuthProvider;
  globalRole: GlobalRole;
  approvalStatus: ApprovalStatus;
  isActive: boolean;
  tokenVersion: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  memberships: {
    companyMemberships: CompanyMembershipEntry[];
    businessUnitMemberships: BusinessUnitMembershipEntry[];
  };
}

/** Many users with their memberships in two queries; `filter` narrows memberships to one company. */
export function adminUsersOut(deps: Deps, rows: UserRow[], filter: MembershipFilter = {}): AdminUserOut[] {
  const ids = rows.map((u) => u.id);
  const companies = companyMembershipsOfUsers(deps, ids, { companyId: filter.companyId });
  const units = businessUnitMembershipsOfUsers(deps, ids, { companyId: filter.companyId });
  return rows.map((u) => ({
    id: u.id,
    email: u.email,
    fullName: u.fullName,
    phoneNumber: u.phoneNumber,
    profilePictureUrl: u.profilePictureUrl,
    authProvider: u.authProvider,
    globalRole: u.globalRole,
    approvalStatus: u.approvalStatus,
    isActive: u.isActive,
    tokenVersion: u.tokenVersion,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    deletedAt: u.deletedAt?.toISOString() ?? null,
    memberships: { companyMemberships: companies.get(u.id)!, businessUnitMemberships: units.get(u.id)! },
  }));
}

export function adminUserOut(deps: Deps, user: UserRow): AdminUserOut {
  return adminUsersOut(deps, [user])[0];
}

function liveUser(deps: Deps, userId: string): UserRow {
  const user = deps.db.select().from(users).where(eq(users.id, userId)).get();
  if (!user || user.deletedAt) throw notFound(`User "${userId}"`);
  return user;
}

export interface ListUsersQuery {
  approvalStatus?: ApprovalStatus;
  globalRole?: GlobalRole;
  includeDeleted?: boolean;
  limit?: number;
  offset?: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The global directory (GET /internal/users): platform staff only; newest last; total ignores paging. */
export function listUsers(deps: Deps, caller: AdminCaller, query: ListUsersQuery = {}) {
  assertMayListUsers(caller);
  const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const offset = query.offset ?? 0;
  const where: SQL[] = [];
  if (query.approvalStatus) where.push(eq(users.approvalStatus, query.approvalStatus));
  if (query.globalRole) where.push(eq(users.globalRole, query.globalRole));
  if (!query.includeDeleted) where.push(isNull(users.deletedAt));
  const condition = where.length ? and(...where) : undefined;
  const total = deps.db.select({ n: count() }).from(users).where(condition).get()!.n;
  const rows = deps.db.select().from(users).where(condition).orderBy(asc(users.createdAt), asc(users.email)).limit(limit).offset(offset).all();
  return { users: adminUsersOut(deps, rows), total, limit, offset };
}

/** GET /internal/companies/{companyId}/users and …/business-units/{id}/users: platform staff or rank ≥ MANAGER. */
export function listCompanyUsers(deps: Deps, caller: AdminCaller, companyId: string, businessUnitId?: string) {
  const company = getCompany(deps, companyId);
  assertMayInCompany(deps, caller, company.id, businessUnitId ? 'listBusinessUnitUsers' : 'listCompanyUsers');
  const ids = memberIdsOfCompany(deps, company.id, businessUnitId);
  const byId = new Map(
    (ids.length ? deps.db.select().from(users).where(inArray(users.id, ids)).all() : []).map((u) => [u.id, u]),
  );
  const rows = ids.map((id) => byId.get(id)!);
  return { users: adminUsersOut(deps, rows, { companyId: company.id }), total: rows.length };
}

function platformAdminsBesides(deps: Deps, userId: string): number {
  return deps.db
    .select({ n: count() })
    .from(users)
    .where(
      and(
        inArray(users.globalRole, ['PLATFORM_SUPERADMIN', 'PLATFORM_ADMIN']),
        eq(users.isActive, true),
        eq(users.approvalStatus, 'APPROVED'),
        isNull(users.deletedAt),
        ne(users.id, userId),
      ),
    )
    .get()!.n;
}

function isUsablePlatformAdmin(u: Pick<UserRow, 'globalRole' | 'isActive' | 'approvalStatus' | 'deletedAt'>): boolean {
  return (u.globalRole === 'PLATFORM_SUPERADMIN' || u.globalRole === 'PLATFORM_ADMIN') && u.isActive && u.approvalStatus === 'APPROVED' && !u.deletedAt;
}

/** Nobody may lock the instance out of its own administration. */
function assertNotLastPlatformAdmin(deps: Deps, before: UserRow, after: Pick<UserRow, 'globalRole' | 'isActive' | 'approvalStatus' | 'deletedAt'>): void {
  if (isUsablePlatformAdmin(before) && !isUsablePlatformAdmin(after) && platformAdminsBesides(deps, before.id) === 0) {
    throw conflict(`${before.email} is the last active platform admin; promote another user first`);
  }
}

export type CreateUserByAdminInput = CreateUserInput;

/**
 * POST /internal/users and `kimauth users create`. Admin-created users are APPROVED and active unless told
 * otherwise. The welcome mail carries a one-time set-password link, never a password.
 */
export async function createUserByAdmin(deps: Deps, caller: AdminCaller, input: CreateUserByAdminInput): Promise<AdminUserOut> {
  assertMayCreateUser(caller);
  const user = await createUser(
    deps,
    { ...input, approvalStatus: input.approvalStatus ?? 'APPROVED', isActive: input.isActive ?? true },
    caller.actor,
    {
      inTransaction: (row) => {
        const link = issueSetPasswordToken(deps, row.id);
        enqueueMail(deps, {
          template: 'user-created',
          to: row.email,
          data: { fullName: row.fullName, setPasswordUrl: link.url, expiresAt: link.expiresAt.toISOString() },
        });
      },
    },
  );
  return adminUserOut(deps, user);
}

export interface PatchUserInput {
  email?: string;
  password?: string;
  fullName?: string;
  phoneNumber?: string | null;
  profilePictureUrl?: string | null;
  authProvider?: AuthProvider;
  globalRole?: GlobalRole;
  approvalStatus?: ApprovalStatus;
  isActive?: boolean;
}

export function patchFieldsOf(patch: PatchUserInput): PatchableUserField[] {
  return PATCHABLE_USER_FIELDS.filter((f) => patch[f] !== undefined);
}

/**
 * PATCH /internal/users/{id} and the `users update|approve|reject|disable|enable|set-password` commands.
 * Every field sent is checked against the §5.1 rights (sent, not only changed). Stale tokens stop working
 * where the seed implies it: a new globalRole, a deactivation or a new password bump tokenVersion;
 * deactivation, rejection and a new password also end the user's sessions.
 */
export async function patchUser(deps: Deps, caller: AdminCaller, userId: string, patch: PatchUserInput): Promise<AdminUserOut> {
  const fields = patchFieldsOf(patch);
  if (fields.length === 0) throw validationError('Nothing to change: send at least one field');
  if (patch.password !== undefined) assertPasswordPolicy(patch.password);
  const email = patch.email !== undefined ? normalizeEmail(patch.email) : undefined;
  const fullName = patch.fullName?.trim();
  if (fullName !== undefined && !fullName) throw validationError('fullName must not be empty');
  // Refuse before spending an argon2 hash on a caller who may not do this; checked again in the transaction.
  assertMayPatchUser(deps, caller, liveUser(deps, userId), fields);
  const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;

  return deps.sqlite.transaction(() => {
    const before = liveUser(deps, userId);
    assertMayPatchUser(deps, caller, before, fields);
    const now = deps.clock.now();
    const next: UserRow = {
      ...before,
      email: email ?? before.email,
      fullName: fullName ?? before.fullName,
      phoneNumber: patch.phoneNumber !== undefined ? patch.phoneNumber || null : before.phoneNumber,
      profilePictureUrl: patch.profilePictureUrl !== undefined ? patch.profilePictureUrl || null : before.profilePictureUrl,
      authProvider: patch.authProvider ?? before.authProvider,
      globalRole: patch.globalRole ?? before.globalRole,
      approvalStatus: patch.approvalStatus ?? before.approvalStatus,
      isActive: patch.isActive ?? before.isActive,
      passwordHash: passwordHash ?? before.passwordHash,
      updatedAt: now,
    };
    const changed = PATCHABLE_USER_FIELDS.filter((f) =>
      f === 'password' ? passwordHash !== undefined : (next as unknown as Record<string, unknown>)[f] !== (before as unknown as Record<string, unknown>)[f],
    );
    if (changed.length === 0) return adminUserOut(deps, before);
    if (next.email !== before.email) {
      const clash = deps.db.select({ id: users.id }).from(users).where(eq(users.email, next.email)).get();
      if (clash) throw conflict('A user with this email already exists');
    }
    assertNotLastPlatformAdmin(deps, before, next);

    const approved = changed.includes('approvalStatus') && next.approvalStatus === 'APPROVED';
    const rejected = changed.includes('approvalStatus') && next.approvalStatus === 'REJECTED';
    const disabled = changed.includes('isActive') && !next.isActive;
    const enabled = changed.includes('isActive') && next.isActive;
    const firstApproval = approved && before.approvedAt === null;
    if (firstApproval) next.approvedAt = now;

    deps.db.update(users).set(next).where(eq(users.id, userId)).run();

    const platform = deps.platformTenantId();
    const target = { type: 'user', id: userId };
    deps.audit.append(platform, {
      actor: caller.actor,
      type: 'user.updated',
      target,
      payload: {
        fields: changed,
        ...(changed.includes('globalRole') ? { globalRole: { from: before.globalRole, to: next.globalRole } } : {}),
        ...(changed.includes('approvalStatus') ? { approvalStatus: { from: before.approvalStatus, to: next.approvalStatus } } : {}),
      },
    });
    if (approved) deps.audit.append(platform, { actor: caller.actor, type: 'user.approved', target, payload: { firstApproval } });
    if (rejected) deps.audit.append(platform, { actor: caller.actor, type: 'user.rejected', target });
    if (disabled) deps.audit.append(platform, { actor: caller.actor, type: 'user.disabled', target });
    if (enabled) deps.audit.append(platform, { actor: caller.actor, type: 'user.enabled', target });
    if (passwordHash !== undefined) deps.audit.append(platform, { actor: caller.actor, type: 'user.password_set_by_admin', target });

    const bump = changed.includes('globalRole') || disabled || passwordHash !== undefined;
    const endSessions = disabled || passwordHash !== undefined || (changed.includes('approvalStatus') && next.approvalStatus !== 'APPROVED');
    if (endSessions) {
      const reason = disabled ? 'user_disabled' : passwordHash !== undefined ? 'password_set_by_admin' : 'approval_revoked';
      revokeAllSessions(deps, userId, reason, caller.actor, { bumpTokenVersion: bump });
    } else if (bump) {
      bumpTokenVersion(deps, userId);
    }

    const mailData = { fullName: next.fullName };
    if (firstApproval) enqueueMail(deps, { template: 'account-approved', to: next.email, data: mailData });
    if (rejected) enqueueMail(deps, { template: 'account-rejected', to: next.email, data: mailData });
    // One mail per request: a rejection already tells the user they cannot sign in.
    if (disabled && !rejected) enqueueMail(deps, { template: 'account-deactivated', to: next.email, data: mailData });
    if (passwordHash !== undefined) enqueueMail(deps, { template: 'password-changed-by-admin', to: next.email, data: mailData });

    return adminUserOut(deps, liveUser(deps, userId));
  })();
}

/**
 * DELETE /internal/users/{id} and `kimauth users delete`: a soft delete. The row stays (ids are never reused,
 * the audit trail keeps pointing at it), the account is deactivated, its sessions end and its tokens stop.
 */
export function softDeleteUser(deps: Deps, caller: AdminCaller, userId: string): AdminUserOut {
  return deps.sqlite.transaction(() => {
    const before = liveUser(deps, userId);
    assertMayDeleteUser(deps, caller, before);
    const now = deps.clock.now();
    assertNotLastPlatformAdmin(deps, before, { ...before, isActive: false, deletedAt: now });
    deps.db.update(users).set({ deletedAt: now, isActive: false, updatedAt: now }).where(eq(users.id, userId)).run();
    revokeAllSessions(deps, userId, 'user_deleted', caller.actor, { bumpTokenVersion: true });
    deps.audit.append(deps.platformTenantId(), { actor: caller.actor, type: 'user.deleted', target: { type: 'user', id: userId }, payload: { email: before.email } });
    enqueueMail(deps, { template: 'account-deleted', to: before.email, data: { fullName: before.fullName } });
    const after = deps.db.select().from(users).where(eq(users.id, userId)).get()!;
    return adminUserOut(deps, after);
  })();
}
