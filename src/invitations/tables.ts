import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tenants } from '../tenants/tables.ts';
import { users } from '../identity/tables.ts';
import { COMPANY_ROLES } from '../memberships/tables.ts';

export const INVITATION_STATUSES = ['pending', 'accepted', 'expired', 'cancelled'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/** Seed 002 §4.9: an invitation to join one company with a role and optional initial grants. */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    /** Lower-cased. */
    email: text('email').notNull(),
    role: text('role', { enum: COMPANY_ROLES }).notNull(),
    /** MANAGER needs a business unit (§5.1); the invitation names it and acceptance creates that membership. */
    businessUnitId: text('business_unit_id'),
    modules: text('modules', { mode: 'json' }).notNull().$type<string[]>(),
    permissions: text('permissions', { mode: 'json' }).notNull().$type<string[]>(),
    invitedBy: text('invited_by').references(() => users.id),
    inviterName: text('inviter_name').notNull(),
    /** SHA-256 of the opaque token; a resend replaces it, so the old link stops working. */
    tokenHash: text('token_hash').notNull().unique(),
    status: text('status', { enum: INVITATION_STATUSES }).notNull().default('pending'),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    sentCount: integer('sent_count').notNull().default(1),
    acceptedUserId: text('accepted_user_id').references(() => users.id),
    acceptedAt: integer('accepted_at', { mode: 'timestamp_ms' }),
    cancelledAt: integer('cancelled_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    // At most one live invitation per (company, email): the 409 of §4.9 "not duplicated or already active".
    uniqueIndex('invitations_pending_uq').on(t.companyId, t.email).where(sql`status = 'pending'`),
    index('invitations_company_idx').on(t.companyId, t.status),
  ],
);

export type InvitationRow = typeof invitations.$inferSelect;
