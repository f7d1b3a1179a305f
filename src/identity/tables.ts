import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';

export const GLOBAL_ROLES = ['NONE', 'PLATFORM_SUPERADMIN', 'PLATFORM_ADMIN', 'PLATFORM_MODERATOR'] as const;
export type GlobalRole = (typeof GLOBAL_ROLES)[number];

export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const AUTH_PROVIDERS = ['password', 'google', 'microsoft', 'sso', 'other'] as const;
export type AuthProvider = (typeof AUTH_PROVIDERS)[number];

/** Users are instance-wide identities (PRODUCT.md); they reach tenants through memberships. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Stored lower-cased; unique in the instance. */
    email: text('email').notNull().unique(),
    fullName: text('full_name').notNull(),
    passwordHash: text('password_hash'),
    globalRole: text('global_role', { enum: GLOBAL_ROLES }).notNull().default('NONE'),
    approvalStatus: text('approval_status', { enum: APPROVAL_STATUSES }).notNull().default('PENDING'),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(false),
    authProvider: text('auth_provider', { enum: AUTH_PROVIDERS }).notNull().default('password'),
    phoneNumber: text('phone_number'),
    profilePictureUrl: text('profile_picture_url'),
    /** Bumped to invalidate every token issued before (seed 002 §8.3). */
    tokenVersion: integer('token_version').notNull().default(1),
    deletedAt: integer('deleted_at', { mode: 'timestamp_ms' }),
    /** First time the account reached APPROVED; the "approved" mail goes out only on that transition. */
    approvedAt: integer('approved_at', { mode: 'timestamp_ms' }),
    /** Last proof that the user controls `email` (a link mailed there was used); NULL again when the email changes. */
    emailVerifiedAt: integer('email_verified_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('users_approval_idx').on(t.approvalStatus), index('users_global_role_idx').on(t.globalRole)],
);

export type UserRow = typeof users.$inferSelect;

/**
 * One-time links that let an admin-created user choose their own password (`POST /auth/set-password`).
 * Kept apart from password-reset tokens: different trigger, lifetime and audit event. Only the SHA-256 is stored.
 */
export const userSetPasswordTokens = sqliteTable(
  'user_set_password_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('user_set_password_tokens_user_idx').on(t.userId)],
);

/**
 * One-time password reset tokens (seed 002 §4.8): only the SHA-256 of the opaque token is stored; a token is
 * spent by confirming it, by a newer request for the same user, or by expiring (1 h).
 */
export const passwordResetTokens = sqliteTable(
  'password_reset_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('password_reset_tokens_user_idx').on(t.userId, t.usedAt)],
);

export type PasswordResetTokenRow = typeof passwordResetTokens.$inferSelect;
