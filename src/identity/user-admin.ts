import { assertPlainText } from '../app/control-characters.ts';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { bumpTokenVersion, revokeAllSessions } from '../sessions/sessions.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { PATCHABLE_USER_FIELDS, type PatchableUserField } from '../authorization/rights-table.ts';
import { isPlatformAdmin } from '../authorization/roles.ts';
import {
  businessUnitMembershipsOfUsers,
  companyMembershipsOfUsers,
  memberIdsOfCompany,
  type BusinessUnitMembershipEntry,
  type CompanyMembershipEntry,
  type MembershipFilter,
} from '../memberships/memberships.ts';
import { getCompanyById as getCompany } from '../tenants/tenants.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { issueSetPasswordToken } from './set-password-tokens.ts';
import { countUsablePlatformAdminsBesides, emailTaken, markUserDeleted, selectUserById, selectUserPage, selectUsersByIds, updateUserRow } from './store.ts';
import { type ApprovalStatus, type AuthProvider, type GlobalRole, type UserRow } from './tables.ts';
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
  const user = selectUserById(deps, userId);
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
export function listUsers(deps: Deps, caller: Principal, query: ListUsersQuery = {}) {
  authorize(deps, caller, 'user.list', {});
  const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const offset = query.offset ?? 0;
  const { rows, total } = selectUserPage(deps, query, limit, offset);
  return { users: adminUsersOut(deps, rows), total, limit, offset };
}

/** GET /internal/companies/{companyId}/users and …/business-units/{id}/users: platform staff or rank ≥ MANAGER. */
export function listCompanyUsers(deps: Deps, caller: Principal, companyId: string, businessUnitId?: string) {
  const company = getCompany(deps, companyId);
  authorize(deps, caller, businessUnitId ? 'businessUnit.users.list' : 'company.users.list', { companyId: company.id });
  const ids = memberIdsOfCompany(deps, company.id, businessUnitId);
  const byId = new Map(selectUsersByIds(deps, ids).map((u) => [u.id, u]));
  const rows = ids.map((id) => byId.get(id)!);
  return { users: adminUsersOut(deps, rows, { companyId: company.id }), total: rows.length };
}

function isUsablePlatformAdmin(u: Pick<UserRow, 'globalRole' | 'isActive' | 'approvalStatus' | 'deletedAt'>): boolean {
  return isPlatformAdmin(u.globalRole) && u.isActive && u.approvalStatus === 'APPROVED' && !u.deletedAt;
}

/** Nobody may lock the instance out of its own administration. */
function assertNotLastPlatformAdmin(deps: Deps, before: UserRow, after: Pick<UserRow, 'globalRole' | 'isActive' | 'approvalStatus' | 'deletedAt'>): void {
  if (isUsablePlatformAdmin(before) && !isUsablePlatformAdmin(after) && countUsablePlatformAdminsBesides(deps, before.id) === 0) {
    throw conflict(`${before.email} is the last active platform admin; promote another user first`);
  }
}

export type CreateUserByAdminInput = CreateUserInput;

/**
 * POST /internal/users and `kimauth users create`. Admin-created users are APPROVED and active unless told
 * otherwise. The welcome mail carries a one-time set-password link, never a password.
 */
export async function createUserByAdmin(deps: Deps, caller: Principal, input: CreateUserByAdminInput): Promise<AdminUserOut> {
  authorize(deps, caller, 'user.create', {});
  const user = await createUser(
    deps,
    { ...input, approvalStatus: input.approvalStatus ?? 'APPROVED', isActive: input.isActive ?? true },
    caller,
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

/** A patch after validation: the fields sent (each needs its right) and the normalised values. */
interface CheckedPatch extends PatchUserInput {
  fields: PatchableUserField[];
}

/** Step 1: refuse malformed input before anything is read or hashed. */
function checkPatch(patch: PatchUserInput): CheckedPatch {
  const fields = patchFieldsOf(patch);
  if (fields.length === 0) throw validationError('Nothing to change: send at least one field');
  if (patch.password !== undefined) assertPasswordPolicy(patch.password);
  const fullName = patch.fullName?.trim();
  if (fullName !== undefined && !fullName) throw validationError('fullName must not be empty');
  assertPlainText('fullName', patch.fullName);
  assertPlainText('phoneNumber', patch.phoneNumber);
  return { ...patch, fields, fullName, email: patch.email !== undefined ? normalizeEmail(patch.email) : undefined };
}

/** Step 3: the row as it will be written (pure). */
function applyPatch(before: UserRow, patch: CheckedPatch, passwordHash: string | undefined, now: Date): UserRow {
  return {
    ...before,
    email: patch.email ?? before.email,
    // A new address is unproven until a link mailed to it is used.
    emailVerifiedAt: patch.email !== undefined && patch.email !== before.email ? null : before.emailVerifiedAt,
    fullName: patch.fullName ?? before.fullName,
    phoneNumber: patch.phoneNumber !== undefined ? patch.phoneNumber || null : before.phoneNumber,
    profilePictureUrl: patch.profilePictureUrl !== undefined ? patch.profilePictureUrl || null : before.profilePictureUrl,
    authProvider: patch.authProvider ?? before.authProvider,
    globalRole: patch.globalRole ?? before.globalRole,
    approvalStatus: patch.approvalStatus ?? before.approvalStatus,
    isActive: patch.isActive ?? before.isActive,
    passwordHash: passwordHash ?? before.passwordHash,
    updatedAt: now,
  };
}

/** What a patch changed, and what follows from it for tokens, sessions, audit and mail. */
interface PatchEffects {
  changed: PatchableUserField[];
  approved: boolean;
  rejected: boolean;
  disabled: boolean;
  enabled: boolean;
  firstApproval: boolean;
  passwordSet: boolean;
  emailChanged: boolean;
}

/** Step 4: compare before and after (pure). */
function effectsOf(before: UserRow, next: UserRow, passwordSet: boolean): PatchEffects {
  const changed = PATCHABLE_USER_FIELDS.filter((f) =>
    f === 'password' ? passwordSet : (next as unknown as Record<string, unknown>)[f] !== (before as unknown as Record<string, unknown>)[f],
  );
  const approved = changed.includes('approvalStatus') && next.approvalStatus === 'APPROVED';
  return {
    changed,
    approved,
    rejected: changed.includes('approvalStatus') && next.approvalStatus === 'REJECTED',
    disabled: changed.includes('isActive') && !next.isActive,
    enabled: changed.includes('isActive') && next.isActive,
    firstApproval: approved && before.approvedAt === null,
    passwordSet,
    emailChanged: changed.includes('email'),
  };
}

/** Step 5: the rules a write must keep — one account per email, never without a usable platform admin. */
function assertPatchKeepsInvariants(deps: Deps, before: UserRow, next: UserRow, effects: PatchEffects): void {
  if (effects.emailChanged) {
    if (emailTaken(deps, next.email)) throw conflict('A user with this email already exists');
  }
  assertNotLastPlatformAdmin(deps, before, next);
}

/** Step 6: one `user.updated` entry, plus one per lifecycle event, in the platform chain. */
function auditPatch(deps: Deps, caller: Principal, before: UserRow, next: UserRow, effects: PatchEffects): void {
  const platform = deps.platformTenantId();
  const target = { type: 'user', id: before.id };
  const { changed } = effects;
  deps.audit.append(platform, {
    actor: caller,
    type: 'user.updated',
    target,
    payload: {
      fields: changed,
      ...(changed.includes('globalRole') ? { globalRole: { from: before.globalRole, to: next.globalRole } } : {}),
      ...(changed.includes('approvalStatus') ? { approvalStatus: { from: before.approvalStatus, to: next.approvalStatus } } : {}),
    },
  });
  if (effects.approved) deps.audit.append(platform, { actor: caller, type: 'user.approved', target, payload: { firstApproval: effects.firstApproval } });
  if (effects.rejected) deps.audit.append(platform, { actor: caller, type: 'user.rejected', target });
  if (effects.disabled) deps.audit.append(platform, { actor: caller, type: 'user.disabled', target });
  if (effects.enabled) deps.audit.append(platform, { actor: caller, type: 'user.enabled', target });
  if (effects.passwordSet) deps.audit.append(platform, { actor: caller, type: 'user.password_set_by_admin', target });
}

/**
 * Step 7: stale credentials stop where the seed implies it. A new globalRole, a deactivation, a new password
 * or a new email bump tokenVersion; all but the role change, and a withdrawn approval, also end sessions
 * (whoever holds the account's old email or password must not stay signed in).
 */
function endStaleCredentials(deps: Deps, caller: Principal, userId: string, next: UserRow, effects: PatchEffects): void {
  const { changed, disabled, passwordSet, emailChanged } = effects;
  const bump = changed.includes('globalRole') || disabled || passwordSet || emailChanged;
  const approvalRevoked = changed.includes('approvalStatus') && next.approvalStatus !== 'APPROVED';
  const reason = disabled
    ? 'user_disabled'
    : passwordSet
      ? 'password_set_by_admin'
      : emailChanged
        ? 'email_changed'
        : approvalRevoked
          ? 'approval_revoked'
          : null;
  if (reason) revokeAllSessions(deps, userId, reason, caller, { bumpTokenVersion: bump });
  else if (bump) bumpTokenVersion(deps, userId);
}

/**
 * Step 8: tell the user. Changes of the credentials go to the address the account had *before* the request,
 * so a hijacked account's owner hears of it; lifecycle news goes to the current one.
 */
function notifyUser(deps: Deps, caller: Principal, before: UserRow, next: UserRow, effects: PatchEffects): void {
  const mailData = { fullName: next.fullName };
  if (effects.firstApproval) enqueueMail(deps, { template: 'account-approved', to: next.email, data: mailData });
  if (effects.rejected) enqueueMail(deps, { template: 'account-rejected', to: next.email, data: mailData });
  // One mail per request: a rejection already tells the user they cannot sign in.
  if (effects.disabled && !effects.rejected) enqueueMail(deps, { template: 'account-deactivated', to: next.email, data: mailData });
  if (effects.emailChanged) enqueueMail(deps, { template: 'email-changed', to: before.email, data: { ...mailData, newEmail: next.email } });
  if (effects.passwordSet) {
    const bySelf = caller.type === 'user' && caller.id === before.id;
    enqueueMail(deps, { template: bySelf ? 'password-changed' : 'password-changed-by-admin', to: before.email, data: mailData });
  }
}

/**
 * PATCH /internal/users/{id} and the `users update|approve|reject|disable|enable|set-password` commands.
 * Every field sent is checked by the policy (sent, not only changed), before the argon2 hash and again inside
 * the transaction; then the steps above, in one transaction.
 */
export async function patchUser(deps: Deps, caller: Principal, userId: string, patch: PatchUserInput): Promise<AdminUserOut> {
  const checked = checkPatch(patch);
  // Step 2: refuse before spending an argon2 hash on a caller who may not do this.
  authorize(deps, caller, 'user.update', { user: liveUser(deps, userId), fields: checked.fields });
  const passwordHash = checked.password !== undefined ? await hashPassword(checked.password) : undefined;

  return deps.sqlite.transaction(() => {
    const before = liveUser(deps, userId);
    authorize(deps, caller, 'user.update', { user: before, fields: checked.fields });
    const next = applyPatch(before, checked, passwordHash, deps.clock.now());
    const effects = effectsOf(before, next, passwordHash !== undefined);
    if (effects.changed.length === 0) return adminUserOut(deps, before);
    assertPatchKeepsInvariants(deps, before, next, effects);
    if (effects.firstApproval) next.approvedAt = next.updatedAt;

    updateUserRow(deps, next);
    auditPatch(deps, caller, before, next, effects);
    endStaleCredentials(deps, caller, userId, next, effects);
    notifyUser(deps, caller, before, next, effects);
    return adminUserOut(deps, liveUser(deps, userId));
  })();
}

/**
 * DELETE /internal/users/{id} and `kimauth users delete`: a soft delete. The row stays (ids are never reused,
 * the audit trail keeps pointing at it), the account is deactivated, its sessions end and its tokens stop.
 */
export function softDeleteUser(deps: Deps, caller: Principal, userId: string): AdminUserOut {
  return deps.sqlite.transaction(() => {
    const before = liveUser(deps, userId);
    authorize(deps, caller, 'user.delete', { user: before });
    const now = deps.clock.now();
    assertNotLastPlatformAdmin(deps, before, { ...before, isActive: false, deletedAt: now });
    markUserDeleted(deps, userId, now);
    revokeAllSessions(deps, userId, 'user_deleted', caller, { bumpTokenVersion: true });
    deps.audit.append(deps.platformTenantId(), { actor: caller, type: 'user.deleted', target: { type: 'user', id: userId }, payload: { email: before.email } });
    enqueueMail(deps, { template: 'account-deleted', to: before.email, data: { fullName: before.fullName } });
    const after = selectUserById(deps, userId)!;
    return adminUserOut(deps, after);
  })();
}
