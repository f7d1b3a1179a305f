import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError } from '../app/errors.ts';
import type { UserRow } from '../identity/tables.ts';
import { selectUsersByIds } from '../identity/store.ts';
import { findUserById } from '../identity/users.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { selectTenantById } from '../tenants/store.ts';
import { getCompanyById } from '../tenants/tenants.ts';
import type { Actor } from '../audit/audit-log.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';
import {
  deleteBusinessUnitMembership,
  deleteCompanyMembership,
  hasActiveBusinessUnitMembership,
  hasAnyMembershipIn,
  insertBusinessUnitMembership,
  insertCompanyMembership,
  selectActiveBusinessUnitMemberIds,
  selectActiveCompanyMemberIds,
  selectBusinessUnitMembership,
  selectBusinessUnitMembershipsOfUser,
  selectBusinessUnitMembershipsOfUsers,
  selectCompanyMembership,
  selectCompanyMembershipsOfUser,
  selectCompanyMembershipsOfUsers,
  updateBusinessUnitMembership,
  updateCompanyMembership,
} from './store.ts';
import type {
  BusinessUnitMembershipRow,
  BusinessUnitRole,
  CompanyMembershipRow,
  CompanyRole,
  MembershipMetadata,
} from './tables.ts';

/** The role lists the CLI and HTTP inputs offer (defined with the tables). */
export { BUSINESS_UNIT_ROLES, COMPANY_ROLES } from './tables.ts';

/** Metadata keys that the API repeats as top-level fields of a membership (seed 002 §5.2a). */
export const METADATA_SHORTCUTS = ['invoiceViewScope', 'canEditOthersScope', 'canEditOthersInvoices'] as const;
export const MAX_METADATA_BYTES = 16 * 1024;
/** Non-negative decimal, up to 18 integer and 6 fraction digits. */
export const APPROVAL_LIMIT_PATTERN = /^\d{1,18}(\.\d{1,6})?$/;

type Shortcuts = { invoiceViewScope?: unknown; canEditOthersScope?: unknown; canEditOthersInvoices?: unknown };

export type CompanyMembershipEntry = {
  id: string;
  userId: string;
  companyId: string;
  companySlug: string;
  companyName: string;
  role: CompanyRole;
  isActive: boolean;
  approvalLimit: string | null;
  metadata: MembershipMetadata;
  createdAt: string;
  updatedAt: string;
} & Shortcuts;

export type BusinessUnitMembershipEntry = {
  id: string;
  userId: string;
  companyId: string;
  businessUnitId: string;
  role: BusinessUnitRole;
  isActive: boolean;
  metadata: MembershipMetadata;
  createdAt: string;
  updatedAt: string;
} & Shortcuts;

function shortcuts(metadata: MembershipMetadata | null): Shortcuts {
  const out: Shortcuts = {};
  for (const key of METADATA_SHORTCUTS) if (metadata && key in metadata) out[key] = metadata[key];
  return out;
}

export function companyMembershipEntry(row: CompanyMembershipRow, tenant: Pick<TenantRow, 'slug' | 'name'>): CompanyMembershipEntry {
  return {
    id: row.id,
    userId: row.userId,
    companyId: row.companyId,
    companySlug: tenant.slug,
    companyName: tenant.name,
    role: row.role,
    isActive: row.isActive,
    approvalLimit: row.approvalLimit,
    metadata: row.metadata ?? {},
    ...shortcuts(row.metadata),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function businessUnitMembershipEntry(row: BusinessUnitMembershipRow): BusinessUnitMembershipEntry {
  return {
    id: row.id,
    userId: row.userId,
    companyId: row.companyId,
    businessUnitId: row.businessUnitId,
    role: row.role,
    isActive: row.isActive,
    metadata: row.metadata ?? {},
    ...shortcuts(row.metadata),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface MembershipFilter {
  companyId?: string;
  businessUnitId?: string;
  activeOnly?: boolean;
}

/** The tenants the memberships name, read through the tenants context (one prepared lookup per company). */
function companiesOf(deps: Deps, rows: readonly CompanyMembershipRow[]): Map<string, TenantRow> {
  const companies = new Map<string, TenantRow>();
  for (const { companyId } of rows) {
    if (companies.has(companyId)) continue;
    const tenant = selectTenantById(deps, companyId);
    if (tenant) companies.set(companyId, tenant);
  }
  return companies;
}

/** Entries ordered by company slug, as the API has always listed them. */
function companyEntries(deps: Deps, rows: readonly CompanyMembershipRow[]): CompanyMembershipEntry[] {
  const companies = companiesOf(deps, rows);
  const entries: CompanyMembershipEntry[] = [];
  for (const row of rows) {
    const company = companies.get(row.companyId);
    if (company) entries.push(companyMembershipEntry(row, company));
  }
  return entries.sort((a, b) => (a.companySlug < b.companySlug ? -1 : a.companySlug > b.companySlug ? 1 : 0));
}

/** Company memberships of many users at once (one query plus the companies), keyed by user id. */
export function companyMembershipsOfUsers(deps: Deps, userIds: string[], filter: MembershipFilter = {}): Map<string, CompanyMembershipEntry[]> {
  const out = new Map<string, CompanyMembershipEntry[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  for (const entry of companyEntries(deps, selectCompanyMembershipsOfUsers(deps, userIds, filter))) out.get(entry.userId)!.push(entry);
  return out;
}

/** Business-unit memberships of many users at once, keyed by user id. */
export function businessUnitMembershipsOfUsers(deps: Deps, userIds: string[], filter: MembershipFilter = {}): Map<string, BusinessUnitMembershipEntry[]> {
  const out = new Map<string, BusinessUnitMembershipEntry[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  for (const row of selectBusinessUnitMembershipsOfUsers(deps, userIds, filter)) out.get(row.userId)!.push(businessUnitMembershipEntry(row));
  return out;
}

/** Every company membership of one user, active or not (GET /auth/me, /internal/users/{id}/context). */
export function listCompanyMembershipsOfUser(deps: Deps, userId: string, filter: MembershipFilter = {}): CompanyMembershipEntry[] {
  if (filter.companyId || filter.activeOnly) return companyMembershipsOfUsers(deps, [userId], filter).get(userId)!;
  // GET /auth/me runs this on every call: the single-user statement, no list parameter to encode.
  return companyEntries(deps, selectCompanyMembershipsOfUser(deps, userId));
}

/** Every business-unit membership of one user, active or not. */
export function listBusinessUnitMembershipsOfUser(deps: Deps, userId: string, filter: MembershipFilter = {}): BusinessUnitMembershipEntry[] {
  if (filter.companyId || filter.businessUnitId || filter.activeOnly) {
    return businessUnitMembershipsOfUsers(deps, [userId], filter).get(userId)!;
  }
  return selectBusinessUnitMembershipsOfUser(deps, userId).map(businessUnitMembershipEntry);
}

/** Ids of live (not deleted) users with an active membership in the company, or in one of its business units, by email. */
export function memberIdsOfCompany(deps: Deps, companyId: string, businessUnitId?: string): string[] {
  const ids = businessUnitId ? selectActiveBusinessUnitMemberIds(deps, companyId, businessUnitId) : selectActiveCompanyMemberIds(deps, companyId);
  return selectUsersByIds(deps, ids)
    .filter((u) => !u.deletedAt)
    .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0))
    .map((u) => u.id);
}

function findLiveUser(deps: Deps, userId: string): UserRow | undefined {
  const user = findUserById(deps, userId);
  return user && !user.deletedAt ? user : undefined;
}

function checkMetadata(metadata: MembershipMetadata | undefined): void {
  if (metadata === undefined) return;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw validationError('metadata must be a JSON object');
  if (JSON.stringify(metadata).length > MAX_METADATA_BYTES) throw validationError(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
}

export interface UpsertCompanyMembershipInput {
  userId: string;
  role: CompanyRole;
  /** Omitted → true for a new row, unchanged for an existing one. */
  isActive?: boolean;
  /** Omitted → kept; null → cleared. */
  approvalLimit?: string | null;
  /** Omitted → kept; {} → cleared; object → replaces. */
  metadata?: MembershipMetadata;
}

/**
 * Creates or updates the (user, company) membership — idempotent. MANAGER needs an active business-unit
 * membership in that company first (seed 002 §5.1). Audited in the company's chain. A company role adds only
 * users who belong to no other company (others accept an invitation); the policy decides.
 */
export function upsertCompanyMembership(deps: Deps, caller: Principal, companyId: string, input: UpsertCompanyMembershipInput): CompanyMembershipEntry {
  checkMembershipInput(input);
  return deps.sqlite.transaction(() => {
    const company = getCompanyById(deps, companyId);
    const user = findLiveUser(deps, input.userId);
    const existing = companyMembershipOf(deps, input.userId, company.id);
    authorize(deps, caller, 'membership.upsert', {
      companyId: company.id,
      userId: input.userId,
      user: user ?? null,
      current: existing?.role ?? null,
      next: input.role,
      hasRowHere: hasAnyMembershipIn(deps, input.userId, company.id),
    });
    // A (de)activated membership changes what the user holds in the company: permissions.changed if it moved.
    return trackPermissionChanges(deps, company.id, caller, () => [input.userId], () => writeCompanyMembership(deps, caller, company, input, existing));
  })();
}

function checkMembershipInput(input: UpsertCompanyMembershipInput): void {
  checkMetadata(input.metadata);
  if (input.approvalLimit != null && !APPROVAL_LIMIT_PATTERN.test(input.approvalLimit)) {
    throw validationError('approvalLimit must be a non-negative decimal string such as "2500.00"');
  }
}

/** The (user, company) membership row, active or not: what the access context weighs grants against. */
export function companyMembershipOf(deps: Deps, userId: string, companyId: string): CompanyMembershipRow | undefined {
  return selectCompanyMembership(deps, userId, companyId);
}

/**
 * Writes an authorized membership change (inside the caller's transaction): upsertCompanyMembership after the
 * policy said yes, and invitation acceptance, where the accepted invitation is the authority.
 */
export function writeCompanyMembership(
  deps: Deps,
  actor: Actor,
  company: TenantRow,
  input: UpsertCompanyMembershipInput,
  existing = companyMembershipOf(deps, input.userId, company.id),
): CompanyMembershipEntry {
  if (!deps.sqlite.inTransaction) throw new Error('writeCompanyMembership must run inside the transaction of its change');
  checkMembershipInput(input);
  const isActive = input.isActive ?? existing?.isActive ?? true;
  if (input.role === 'MANAGER' && isActive) {
    if (!hasActiveBusinessUnitMembership(deps, input.userId, company.id)) throw validationError('Company role MANAGER needs an active business-unit membership in this company; create that first');
  }
  const now = deps.clock.now();
  const row: CompanyMembershipRow = {
    id: existing?.id ?? randomUUID(),
    userId: input.userId,
    companyId: company.id,
    role: input.role,
    isActive,
    approvalLimit: input.approvalLimit === undefined ? (existing?.approvalLimit ?? null) : input.approvalLimit,
    metadata: input.metadata === undefined ? (existing?.metadata ?? null) : input.metadata,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) updateCompanyMembership(deps, row);
  else insertCompanyMembership(deps, row);
  deps.audit.append(company.id, {
    actor,
    type: 'membership.upserted',
    target: { type: 'user', id: input.userId },
    payload: {
      membershipId: row.id,
      created: !existing,
      role: row.role,
      previousRole: existing?.role ?? null,
      isActive: row.isActive,
      approvalLimit: row.approvalLimit,
      metadataChanged: input.metadata !== undefined,
    },
  });
  return companyMembershipEntry(row, company);
}

export interface UpsertBusinessUnitMembershipInput {
  userId: string;
  role: BusinessUnitRole;
  isActive?: boolean;
  metadata?: MembershipMetadata;
}

/** Creates or updates the (user, company, business unit) membership — idempotent. */
export function upsertBusinessUnitMembership(
  deps: Deps,
  caller: Principal,
  companyId: string,
  businessUnitId: string,
  input: UpsertBusinessUnitMembershipInput,
): BusinessUnitMembershipEntry {
  checkMetadata(input.metadata);
  return deps.sqlite.transaction(() => {
    const company = getCompanyById(deps, companyId);
    const user = findLiveUser(deps, input.userId);
    authorize(deps, caller, 'businessUnitMembership.upsert', {
      companyId: company.id,
      userId: input.userId,
      user: user ?? null,
      hasRowHere: hasAnyMembershipIn(deps, input.userId, company.id),
    });
    return writeBusinessUnitMembership(deps, caller, company, businessUnitId, input);
  })();
}

/** Writes an authorized business-unit membership change (inside the caller's transaction). */
export function writeBusinessUnitMembership(
  deps: Deps,
  actor: Actor,
  company: TenantRow,
  businessUnitId: string,
  input: UpsertBusinessUnitMembershipInput,
): BusinessUnitMembershipEntry {
  if (!deps.sqlite.inTransaction) throw new Error('writeBusinessUnitMembership must run inside the transaction of its change');
  checkMetadata(input.metadata);
  const existing = selectBusinessUnitMembership(deps, input.userId, company.id, businessUnitId);
  const now = deps.clock.now();
  const row: BusinessUnitMembershipRow = {
    id: existing?.id ?? randomUUID(),
    userId: input.userId,
    companyId: company.id,
    businessUnitId,
    role: input.role,
    isActive: input.isActive ?? existing?.isActive ?? true,
    metadata: input.metadata === undefined ? (existing?.metadata ?? null) : input.metadata,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  if (existing) updateBusinessUnitMembership(deps, row);
  else insertBusinessUnitMembership(deps, row);
  deps.audit.append(company.id, {
    actor,
    type: 'bu_membership.upserted',
    target: { type: 'user', id: input.userId },
    payload: {
      membershipId: row.id,
      businessUnitId,
      created: !existing,
      role: row.role,
      previousRole: existing?.role ?? null,
      isActive: row.isActive,
      metadataChanged: input.metadata !== undefined,
    },
  });
  return businessUnitMembershipEntry(row);
}

/** Deletes the (user, company) membership row; the business-unit rows stay (remove them separately). */
export function removeCompanyMembership(deps: Deps, caller: Principal, companyId: string, userId: string): void {
  deps.sqlite.transaction(() => {
    const company = getCompanyById(deps, companyId);
    const existing = companyMembershipOf(deps, userId, company.id);
    authorize(deps, caller, 'membership.remove', { companyId: company.id, current: existing?.role ?? null });
    if (!existing) throw notFound(`Membership of user "${userId}" in company "${company.slug}"`);
    trackPermissionChanges(deps, company.id, caller, () => [userId], () => deleteCompanyMembership(deps, existing.id));
    deps.audit.append(company.id, {
      actor: caller,
      type: 'membership.removed',
      target: { type: 'user', id: userId },
      payload: { membershipId: existing.id, role: existing.role },
    });
  })();
}

export function removeBusinessUnitMembership(deps: Deps, caller: Principal, companyId: string, businessUnitId: string, userId: string): void {
  deps.sqlite.transaction(() => {
    const company = getCompanyById(deps, companyId);
    authorize(deps, caller, 'businessUnitMembership.remove', { companyId: company.id });
    const existing = selectBusinessUnitMembership(deps, userId, company.id, businessUnitId);
    if (!existing) throw notFound(`Business-unit membership of user "${userId}" in ${company.slug}/${businessUnitId}`);
    deleteBusinessUnitMembership(deps, existing.id);
    deps.audit.append(company.id, {
      actor: caller,
      type: 'bu_membership.removed',
      target: { type: 'user', id: userId },
      payload: { membershipId: existing.id, businessUnitId, role: existing.role },
    });
  })();
}
