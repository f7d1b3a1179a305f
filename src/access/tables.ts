import { sqliteTable, text, integer, primaryKey } from 'drizzle-orm/sqlite-core';
import { tenants } from '../tenants/tables.ts';
import { users } from '../identity/tables.ts';

/**
 * Modules an operator defined beyond the built-in ones (src/access/modules.ts). A module is "known" when it
 * is built in or listed here; only known modules gate the permissions named after them.
 */
export const moduleCatalog = sqliteTable('module_catalog', {
  name: text('name').primaryKey(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Level 1 (seed 002 §13): the modules a company bought. Used unless KIMAUTH_ENTITLEMENTS_URL is set. */
export const companyEntitlements = sqliteTable(
  'company_entitlements',
  {
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    module: text('module').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.module] })],
);

/**
 * Level 2: module grants of one membership, keyed by (company, user) like the membership itself.
 * They only take effect while that user holds an active membership in the company.
 */
export const membershipModules = sqliteTable(
  'membership_modules',
  {
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    module: text('module').notNull(),
    grantedBy: text('granted_by'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.userId, t.module] })],
);

/** Level 3: permissions of one membership (`finance.expense.view`, `publish:article`…). */
export const membershipPermissions = sqliteTable(
  'membership_permissions',
  {
    companyId: text('company_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    permission: text('permission').notNull(),
    grantedBy: text('granted_by'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.userId, t.permission] })],
);

/** What ADMIN (and FINANCE) or MANAGER may hand out; `null` for a role = no limit beyond the role's own rule. */
export interface DelegationLimit {
  modules: string[];
  permissions: string[];
}
export interface DelegationLimits {
  ADMIN: DelegationLimit | null;
  MANAGER: DelegationLimit | null;
}

/** Per-company delegation policy (§15), set by TENANT_SUPERADMIN or platform admins. */
export const companyAccessSettings = sqliteTable('company_access_settings', {
  companyId: text('company_id')
    .primaryKey()
    .references(() => tenants.id),
  delegationLimits: text('delegation_limits', { mode: 'json' }).notNull().$type<DelegationLimits>(),
  /** §4.9: "optionally MANAGER depending on product policy" — off unless the company turns it on. */
  managersMayInvite: integer('managers_may_invite', { mode: 'boolean' }).notNull().default(false),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** The company /auth/me/access uses when no x-org header is sent. */
export const userAccessPreferences = sqliteTable('user_access_preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id),
  defaultCompanyId: text('default_company_id').references(() => tenants.id),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * One row (id = 1) whose `version` triggers bump on every write that can change anyone's effective access
 * (memberships, grants, permissions, entitlements, users' tokenVersion/role/status). Reading it is one
 * indexed lookup, so the /auth/me/access cache is checked on every request, across processes too.
 */
export const accessVersion = sqliteTable('access_version', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull(),
});

export type ModuleCatalogRow = typeof moduleCatalog.$inferSelect;
export type CompanyAccessSettingsRow = typeof companyAccessSettings.$inferSelect;
