import type { Deps } from '../app/deps.ts';
import type { BusinessUnitMembershipRow, BusinessUnitRole, CompanyMembershipRow, CompanyRole, MembershipMetadata } from './tables.ts';

/**
 * Every statement on the memberships tables (company_memberships, business_unit_memberships), prepared once per
 * Deps through deps.statement. The rules and transactions stay in the services; tenants and users are read through
 * their own contexts, never joined here. Lists of ids go in as one JSON array (json_each), so one statement
 * serves any number of ids.
 */

interface CompanyMembershipRecord {
  id: string;
  user_id: string;
  company_id: string;
  role: CompanyRole;
  is_active: number;
  approval_limit: string | null;
  metadata: string | null;
  created_at: number;
  updated_at: number;
}

interface BusinessUnitMembershipRecord {
  id: string;
  user_id: string;
  company_id: string;
  business_unit_id: string;
  role: BusinessUnitRole;
  is_active: number;
  metadata: string | null;
  created_at: number;
  updated_at: number;
}

const COMPANY_COLUMNS = 'id, user_id, company_id, role, is_active, approval_limit, metadata, created_at, updated_at';
const BU_COLUMNS = 'id, user_id, company_id, business_unit_id, role, is_active, metadata, created_at, updated_at';

function parseMetadata(value: string | null): MembershipMetadata | null {
  return value === null ? null : (JSON.parse(value) as MembershipMetadata);
}

function toCompanyMembership(r: CompanyMembershipRecord): CompanyMembershipRow {
  return {
    id: r.id,
    userId: r.user_id,
    companyId: r.company_id,
    role: r.role,
    isActive: r.is_active === 1,
    approvalLimit: r.approval_limit,
    metadata: parseMetadata(r.metadata),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

function toBusinessUnitMembership(r: BusinessUnitMembershipRecord): BusinessUnitMembershipRow {
  return {
    id: r.id,
    userId: r.user_id,
    companyId: r.company_id,
    businessUnitId: r.business_unit_id,
    role: r.role,
    isActive: r.is_active === 1,
    metadata: parseMetadata(r.metadata),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** Optional narrowing of a membership listing; `null`/`false` parameters switch a condition off. */
export interface MembershipRowFilter {
  companyId?: string;
  businessUnitId?: string;
  activeOnly?: boolean;
}

// ——— company memberships ———

/** Every company membership of one user, active or not (GET /auth/me reads this on every call). */
export function selectCompanyMembershipsOfUser(deps: Deps, userId: string): CompanyMembershipRow[] {
  const rows = deps.statement(`SELECT ${COMPANY_COLUMNS} FROM company_memberships WHERE user_id = ?`).all(userId) as CompanyMembershipRecord[];
  return rows.map(toCompanyMembership);
}

/** Company memberships of many users at once (one statement), optionally of one company or only active ones. */
export function selectCompanyMembershipsOfUsers(deps: Deps, userIds: readonly string[], filter: MembershipRowFilter = {}): CompanyMembershipRow[] {
  const rows = deps
    .statement(
      `SELECT ${COMPANY_COLUMNS} FROM company_memberships
        WHERE user_id IN (SELECT value FROM json_each(?)) AND (? IS NULL OR company_id = ?) AND (? = 0 OR is_active = 1)`,
    )
    .all(JSON.stringify(userIds), filter.companyId ?? null, filter.companyId ?? null, filter.activeOnly ? 1 : 0) as CompanyMembershipRecord[];
  return rows.map(toCompanyMembership);
}

export function selectCompanyMembership(deps: Deps, userId: string, companyId: string): CompanyMembershipRow | undefined {
  const r = deps.statement(`SELECT ${COMPANY_COLUMNS} FROM company_memberships WHERE user_id = ? AND company_id = ?`).get(userId, companyId) as
    | CompanyMembershipRecord
    | undefined;
  return r ? toCompanyMembership(r) : undefined;
}

/** The (company, role) of each active company membership of a user, whatever the company's status. */
export function selectActiveCompanyRoles(deps: Deps, userId: string): { companyId: string; role: CompanyRole }[] {
  return deps.statement('SELECT company_id AS companyId, role FROM company_memberships WHERE user_id = ? AND is_active = 1').all(userId) as {
    companyId: string;
    role: CompanyRole;
  }[];
}

/** The role of the user's active membership in the company (whatever the company's status), else undefined. */
export function selectActiveCompanyRole(deps: Deps, userId: string, companyId: string): CompanyRole | undefined {
  return deps
    .statement('SELECT role FROM company_memberships WHERE user_id = ? AND company_id = ? AND is_active = 1')
    .pluck()
    .get(userId, companyId) as CompanyRole | undefined;
}

/** Ids of the users with an active company membership in the company. */
export function selectActiveCompanyMemberIds(deps: Deps, companyId: string): string[] {
  return deps.statement('SELECT user_id FROM company_memberships WHERE company_id = ? AND is_active = 1').pluck().all(companyId) as string[];
}

export function insertCompanyMembership(deps: Deps, row: CompanyMembershipRow): void {
  deps
    .statement(`INSERT INTO company_memberships (${COMPANY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      row.id,
      row.userId,
      row.companyId,
      row.role,
      row.isActive ? 1 : 0,
      row.approvalLimit,
      row.metadata === null ? null : JSON.stringify(row.metadata),
      row.createdAt.getTime(),
      row.updatedAt.getTime(),
    );
}

export function updateCompanyMembership(deps: Deps, row: CompanyMembershipRow): void {
  deps
    .statement('UPDATE company_memberships SET role = ?, is_active = ?, approval_limit = ?, metadata = ?, updated_at = ? WHERE id = ?')
    .run(row.role, row.isActive ? 1 : 0, row.approvalLimit, row.metadata === null ? null : JSON.stringify(row.metadata), row.updatedAt.getTime(), row.id);
}

export function deleteCompanyMembership(deps: Deps, id: string): void {
  deps.statement('DELETE FROM company_memberships WHERE id = ?').run(id);
}

// ——— business-unit memberships ———

/** Business-unit memberships of many users at once, optionally narrowed (one statement). */
export function selectBusinessUnitMembershipsOfUsers(deps: Deps, userIds: readonly string[], filter: MembershipRowFilter = {}): BusinessUnitMembershipRow[] {
  const rows = deps
    .statement(
      `SELECT ${BU_COLUMNS} FROM business_unit_memberships
        WHERE user_id IN (SELECT value FROM json_each(?)) AND (? IS NULL OR company_id = ?) AND (? IS NULL OR business_unit_id = ?)
          AND (? = 0 OR is_active = 1)
        ORDER BY company_id, business_unit_id`,
    )
    .all(
      JSON.stringify(userIds),
      filter.companyId ?? null,
      filter.companyId ?? null,
      filter.businessUnitId ?? null,
      filter.businessUnitId ?? null,
      filter.activeOnly ? 1 : 0,
    ) as BusinessUnitMembershipRecord[];
  return rows.map(toBusinessUnitMembership);
}

/** Every business-unit membership of one user, active or not (GET /auth/me reads this on every call). */
export function selectBusinessUnitMembershipsOfUser(deps: Deps, userId: string): BusinessUnitMembershipRow[] {
  const rows = deps
    .statement(`SELECT ${BU_COLUMNS} FROM business_unit_memberships WHERE user_id = ? ORDER BY company_id, business_unit_id`)
    .all(userId) as BusinessUnitMembershipRecord[];
  return rows.map(toBusinessUnitMembership);
}

export function selectBusinessUnitMembership(deps: Deps, userId: string, companyId: string, businessUnitId: string): BusinessUnitMembershipRow | undefined {
  const r = deps
    .statement(`SELECT ${BU_COLUMNS} FROM business_unit_memberships WHERE user_id = ? AND company_id = ? AND business_unit_id = ?`)
    .get(userId, companyId, businessUnitId) as BusinessUnitMembershipRecord | undefined;
  return r ? toBusinessUnitMembership(r) : undefined;
}

/** Whether the user holds an active membership in any business unit of the company. */
export function hasActiveBusinessUnitMembership(deps: Deps, userId: string, companyId: string): boolean {
  return deps.statement('SELECT 1 FROM business_unit_memberships WHERE user_id = ? AND company_id = ? AND is_active = 1 LIMIT 1').get(userId, companyId) !== undefined;
}

/** Ids of the users with an active membership in one business unit of the company. */
export function selectActiveBusinessUnitMemberIds(deps: Deps, companyId: string, businessUnitId: string): string[] {
  return deps
    .statement('SELECT DISTINCT user_id FROM business_unit_memberships WHERE company_id = ? AND business_unit_id = ? AND is_active = 1')
    .pluck()
    .all(companyId, businessUnitId) as string[];
}

export function insertBusinessUnitMembership(deps: Deps, row: BusinessUnitMembershipRow): void {
  deps
    .statement(`INSERT INTO business_unit_memberships (${BU_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      row.id,
      row.userId,
      row.companyId,
      row.businessUnitId,
      row.role,
      row.isActive ? 1 : 0,
      row.metadata === null ? null : JSON.stringify(row.metadata),
      row.createdAt.getTime(),
      row.updatedAt.getTime(),
    );
}

export function updateBusinessUnitMembership(deps: Deps, row: BusinessUnitMembershipRow): void {
  deps
    .statement('UPDATE business_unit_memberships SET role = ?, is_active = ?, metadata = ?, updated_at = ? WHERE id = ?')
    .run(row.role, row.isActive ? 1 : 0, row.metadata === null ? null : JSON.stringify(row.metadata), row.updatedAt.getTime(), row.id);
}

export function deleteBusinessUnitMembership(deps: Deps, id: string): void {
  deps.statement('DELETE FROM business_unit_memberships WHERE id = ?').run(id);
}

// ——— either kind ———

/** Whether the user has any membership row (company or business unit, active or not) in the company. */
export function hasAnyMembershipIn(deps: Deps, userId: string, companyId: string): boolean {
  return (
    deps
      .statement(
        `SELECT 1 FROM company_memberships WHERE user_id = ? AND company_id = ?
          UNION ALL SELECT 1 FROM business_unit_memberships WHERE user_id = ? AND company_id = ? LIMIT 1`,
      )
      .get(userId, companyId, userId, companyId) !== undefined
  );
}

/** Whether the user has (or had: inactive rows count) a membership in any company other than this one. */
export function hasMembershipOutside(deps: Deps, userId: string, companyId: string): boolean {
  return (
    deps
      .statement(
        `SELECT 1 FROM company_memberships WHERE user_id = ? AND company_id <> ?
          UNION ALL SELECT 1 FROM business_unit_memberships WHERE user_id = ? AND company_id <> ? LIMIT 1`,
      )
      .get(userId, companyId, userId, companyId) !== undefined
  );
}
