import { and, asc, count, eq, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { PLATFORM_ADMIN_ROLES } from '../authorization/roles.ts';
import { passwordResetTokens, users, userSetPasswordTokens, type ApprovalStatus, type AuthProvider, type GlobalRole, type UserRow } from './tables.ts';

/**
 * Every statement on the identity tables (users, user_set_password_tokens, password_reset_tokens). The rules and
 * transactions stay in the services; other contexts ask the services (or these functions) instead of the tables.
 * Hot paths (sign-in, Bearer checks, /auth/me) use statements prepared once per Deps; the admin paths use drizzle.
 */

// ——— users: hot-path reads ———

/** The columns sign-in, refresh and every Bearer check need. */
export interface SignInUserRecord {
  id: string;
  email: string;
  full_name: string;
  password_hash: string | null;
  global_role: GlobalRole;
  approval_status: ApprovalStatus;
  is_active: number;
  deleted_at: number | null;
  token_version: number;
  email_verified_at: number | null;
}

const SIGN_IN_COLUMNS = 'id, email, full_name, password_hash, global_role, approval_status, is_active, deleted_at, token_version, email_verified_at';

export function selectSignInRecordByEmail(deps: Deps, normalizedEmail: string): SignInUserRecord | undefined {
  return deps.statement(`SELECT ${SIGN_IN_COLUMNS} FROM users WHERE email = ?`).get(normalizedEmail) as SignInUserRecord | undefined;
}

export function selectSignInRecordById(deps: Deps, userId: string): SignInUserRecord | undefined {
  return deps.statement(`SELECT ${SIGN_IN_COLUMNS} FROM users WHERE id = ?`).get(userId) as SignInUserRecord | undefined;
}

/** Whether a user may act and as what: the Bearer check's and an agent owner's read (no profile, no password hash). */
export interface StandingRecord {
  global_role: GlobalRole;
  approval_status: ApprovalStatus;
  is_active: number;
  deleted_at: number | null;
  token_version: number;
}

export function selectStandingRecordById(deps: Deps, userId: string): StandingRecord | undefined {
  return deps.statement('SELECT global_role, approval_status, is_active, deleted_at, token_version FROM users WHERE id = ?').get(userId) as StandingRecord | undefined;
}

/** Records proof of the current email (OIDC email_verified) unless there is one already; true when it changed. */
export function markEmailVerifiedRecord(deps: Deps, userId: string, nowMs: number): boolean {
  return deps.statement('UPDATE users SET email_verified_at = ?, updated_at = ? WHERE id = ? AND email_verified_at IS NULL').run(nowMs, nowMs, userId).changes > 0;
}

export interface ProfileRecord {
  id: string;
  email: string;
  full_name: string;
  global_role: GlobalRole;
  token_version: number;
  approval_status: ApprovalStatus;
  is_active: number;
  auth_provider: AuthProvider;
  phone_number: string | null;
  profile_picture_url: string | null;
}

/** The fields of GET /auth/me of a user that is not deleted. */
export function selectProfileRecord(deps: Deps, userId: string): ProfileRecord | undefined {
  return deps
    .statement(
      `SELECT id, email, full_name, global_role, token_version, approval_status, is_active, auth_provider, phone_number, profile_picture_url
         FROM users WHERE id = ? AND deleted_at IS NULL`,
    )
    .get(userId) as ProfileRecord | undefined;
}

// ——— users: rows ———

export function selectUserById(deps: Deps, id: string): UserRow | undefined {
  return deps.db.select().from(users).where(eq(users.id, id)).get();
}

export function selectUserByEmail(deps: Deps, normalizedEmail: string): UserRow | undefined {
  return deps.db.select().from(users).where(eq(users.email, normalizedEmail)).get();
}

/** A user that is not deleted, by email: who may ask for a password reset. */
export function selectLiveUserByEmail(deps: Deps, normalizedEmail: string): UserRow | undefined {
  return deps.db.select().from(users).where(and(eq(users.email, normalizedEmail), isNull(users.deletedAt))).get();
}

export function selectUsersByIds(deps: Deps, ids: readonly string[]): UserRow[] {
  return ids.length ? deps.db.select().from(users).where(inArray(users.id, [...ids])).all() : [];
}

export function emailTaken(deps: Deps, normalizedEmail: string): boolean {
  return deps.db.select({ id: users.id }).from(users).where(eq(users.email, normalizedEmail)).get() !== undefined;
}

export interface UserDirectoryFilter {
  approvalStatus?: ApprovalStatus;
  globalRole?: GlobalRole;
  includeDeleted?: boolean;
}

/** One page of the global directory, oldest first, with the total the filter matches. */
export function selectUserPage(deps: Deps, filter: UserDirectoryFilter, limit: number, offset: number): { rows: UserRow[]; total: number } {
  const where: SQL[] = [];
  if (filter.approvalStatus) where.push(eq(users.approvalStatus, filter.approvalStatus));
  if (filter.globalRole) where.push(eq(users.globalRole, filter.globalRole));
  if (!filter.includeDeleted) where.push(isNull(users.deletedAt));
  const condition = where.length ? and(...where) : undefined;
  const total = deps.db.select({ n: count() }).from(users).where(condition).get()!.n;
  const rows = deps.db.select().from(users).where(condition).orderBy(asc(users.createdAt), asc(users.email)).limit(limit).offset(offset).all();
  return { rows, total };
}

/** Active, approved, not deleted platform admins other than `userId`. */
export function countUsablePlatformAdminsBesides(deps: Deps, userId: string): number {
  return deps.db
    .select({ n: count() })
    .from(users)
    .where(
      and(
        inArray(users.globalRole, PLATFORM_ADMIN_ROLES),
        eq(users.isActive, true),
        eq(users.approvalStatus, 'APPROVED'),
        isNull(users.deletedAt),
        ne(users.id, userId),
      ),
    )
    .get()!.n;
}

export function insertUserRow(deps: Deps, row: UserRow): void {
  deps.db.insert(users).values(row).run();
}

export function updateUserRow(deps: Deps, row: UserRow): void {
  deps.db.update(users).set(row).where(eq(users.id, row.id)).run();
}

export function markUserDeleted(deps: Deps, userId: string, now: Date): void {
  deps.db.update(users).set({ deletedAt: now, isActive: false, updatedAt: now }).where(eq(users.id, userId)).run();
}

export function updatePasswordHash(deps: Deps, userId: string, passwordHash: string, now: Date): void {
  deps.db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId)).run();
}

/** Every access token issued before now carries an older tokenVersion and stops working. */
export function incrementTokenVersion(deps: Deps, userId: string, now: Date): void {
  deps.db
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
    .where(eq(users.id, userId))
    .run();
}

// ——— password reset tokens ———

export function spendOpenResetTokensOf(deps: Deps, userId: string, now: Date): void {
  deps.db
    .update(passwordResetTokens)
    .set({ usedAt: now })
    .where(and(eq(passwordResetTokens.userId, userId), isNull(passwordResetTokens.usedAt)))
    .run();
}

export function insertResetToken(deps: Deps, row: { tokenHash: string; userId: string; createdAt: Date; expiresAt: Date }): void {
  deps.db.insert(passwordResetTokens).values(row).run();
}

export function selectResetToken(deps: Deps, tokenHash: string) {
  return deps.db.select().from(passwordResetTokens).where(eq(passwordResetTokens.tokenHash, tokenHash)).get();
}

export function markResetTokenUsed(deps: Deps, tokenHash: string, now: Date): void {
  deps.db.update(passwordResetTokens).set({ usedAt: now }).where(eq(passwordResetTokens.tokenHash, tokenHash)).run();
}

export function deleteSpentResetTokens(deps: Deps, spentBefore: Date): number {
  return deps.db
    .delete(passwordResetTokens)
    .where(or(lt(passwordResetTokens.usedAt, spentBefore), lt(passwordResetTokens.expiresAt, spentBefore)))
    .run().changes;
}

// ——— set-password links ———

export function insertSetPasswordToken(deps: Deps, row: { tokenHash: string; userId: string; createdAt: Date; expiresAt: Date }): void {
  deps.db.insert(userSetPasswordTokens).values(row).run();
}

/** A link with what decides whether it may be used: its own dates and whether its user was deleted. */
export function selectSetPasswordLink(deps: Deps, tokenHash: string) {
  return deps.db
    .select({ userId: userSetPasswordTokens.userId, expiresAt: userSetPasswordTokens.expiresAt, usedAt: userSetPasswordTokens.usedAt, deletedAt: users.deletedAt })
    .from(userSetPasswordTokens)
    .innerJoin(users, eq(users.id, userSetPasswordTokens.userId))
    .where(eq(userSetPasswordTokens.tokenHash, tokenHash))
    .get();
}

export function spendOpenSetPasswordTokensOf(deps: Deps, userId: string, now: Date): void {
  deps.db
    .update(userSetPasswordTokens)
    .set({ usedAt: now })
    .where(and(eq(userSetPasswordTokens.userId, userId), isNull(userSetPasswordTokens.usedAt)))
    .run();
}

export function deleteSpentSetPasswordTokens(deps: Deps, spentBefore: Date): number {
  return deps.db
    .delete(userSetPasswordTokens)
    .where(or(lt(userSetPasswordTokens.usedAt, spentBefore), lt(userSetPasswordTokens.expiresAt, spentBefore)))
    .run().changes;
}
