import { sqliteTable, text, integer, uniqueIndex, index } from 'drizzle-orm/sqlite-core';
import { users } from '../identity/tables.ts';
import { tenants } from '../tenants/tables.ts';

/** Tenant (company) roles, highest rank first (seed 002 §5.1a). */
export const COMPANY_ROLES = ['TENANT_SUPERADMIN', 'FINANCE', 'ADMIN', 'MANAGER', 'SUBMITTER'] as const;
export type CompanyRole = (typeof COMPANY_ROLES)[number];

export const BUSINESS_UNIT_ROLES = ['SUBMITTER', 'APPROVER', 'ADMIN'] as const;
export type BusinessUnitRole = (typeof BUSINESS_UNIT_ROLES)[number];

/** Free-form JSON the products read (seed 002 §5.2a); kimauth stores and returns it, never interprets it. */
export type MembershipMetadata = Record<string, unknown>;

/** A user's role in one tenant (the seeds' company). `company_id` is the tenant id. */
export const companyMemberships = sqliteTable(
  'company_memberships',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    role: text('role', { enum: COMPANY_ROLES }).notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    /** A decimal kept as text so no amount is ever rounded through a float. */
    approvalLimit: text('approval_limit'),
    metadata: text('metadata', { mode: 'json' }).$type<MembershipMetadata>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('company_memberships_user_company_uq').on(t.userId, t.companyId),
    index('company_memberships_company_idx').on(t.companyId, t.isActive),
  ],
);

/**
 * A user's role in one business unit of a company. Business units live in the products (e.g. Finance);
 * kimauth keeps only their ids and does not check that they exist.
 */
export const businessUnitMemberships = sqliteTable(
  'business_unit_memberships',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    businessUnitId: text('business_unit_id').notNull(),
    role: text('role', { enum: BUSINESS_UNIT_ROLES }).notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    metadata: text('metadata', { mode: 'json' }).$type<MembershipMetadata>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('business_unit_memberships_user_company_bu_uq').on(t.userId, t.companyId, t.businessUnitId),
    index('business_unit_memberships_bu_idx').on(t.companyId, t.businessUnitId, t.isActive),
  ],
);

export type CompanyMembershipRow = typeof companyMemberships.$inferSelect;
export type BusinessUnitMembershipRow = typeof businessUnitMemberships.$inferSelect;
