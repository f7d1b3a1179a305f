import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError } from '../app/errors.ts';
import { users, type UserRow } from '../identity/tables.ts';
import { tenants, type TenantRow } from '../tenants/tables.ts';
import { MASTER_SLUG } from '../tenants/tenants.ts';
import type { Actor } from '../audit/audit-log.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { hasAnyMembershipIn } from './active-memberships.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';
import {
  businessUnitMemberships,
  companyMemberships,
  type BusinessUnitMembershipRow,
  type BusinessUnitRole,
  type CompanyMembershipRow,
  type CompanyRole,
  type MembershipMetadata,
} from './tables.ts';

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

/** A tenant that is a company: any tenant but the reserved platform tenant. */
export function getCompany(deps: Deps, companyId: string): TenantRow {
  const tenant = deps.db.select().from(tenants).where(eq(tenants.id, companyId)).get();
  if (!tenant || tenant.slug === MASTER_SLUG) throw notFound(`Company "${companyId}"`);
  return tenant;
}

export interface MembershipFilter {
  companyId?: string;
  businessUnitId?: string;
  activeOnly?: boolean;
}

/** Company memberships of many users at once (one query), keyed by user id. */
export function companyMembershipsOfUsers(deps: Deps, userIds: string[], filter: MembershipFilter = {}): Map<string, CompanyMembershipEntry[]> {
  const out = new Map<string, CompanyMembershipEntry[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const where: SQL[] = [inArray(companyMemberships.userId, userIds)];
  if (filter.companyId) where.push(eq(companyMemberships.companyId, filter.companyId));
  if (filter.activeOnly) where.push(eq(companyMemberships.isActive, true));
  const rows = deps.db
    .select({ m: companyMemberships, slug: tenants.slug, name: tenants.name })
    .from(companyMemberships)
    .innerJoin(tenants, eq(tenants.id, companyMemberships.companyId))
    .where(and(...where))
    .orderBy(asc(tenants.slug))
    .all();
  for (const r of rows) out.get(r.m.userId)!.push(companyMembershipEntry(r.m, r));
  return out;
}

/** Business-unit memberships of many users at once, keyed by user id. */
export function businessUnitMembershipsOfUsers(deps: Deps, userIds: string[], filter: MembershipFilter = {}): Map<string, BusinessUnitMembershipEntry[]> {
  const out = new Map<string, BusinessUnitMembershipEntry[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const where: SQL[] = [inArray(businessUnitMemberships.userId, userIds)];
  if (filter.companyId) where.push(eq(businessUnitMemberships.companyId, filter.companyId));
  if (filter.businessUnitId) where.push(eq(businessUnitMemberships.businessUnitId, filter.businessUnitId));
  if (filter.activeOnly) where.push(eq(businessUnitMemberships.isActive, true));
  const rows = deps.db
    .select()
    .from(businessUnitMemberships)
    .where(and(...where))
    .orderBy(asc(businessUnitMemberships.companyId), asc(businessUnitMemberships.businessUnitId))
    .all();
  for (const r of rows) out.get(r.userId)!.push(businessUnitMembershipEntry(r));
  return out;
}

/** Every company membership of one user, active or not (GET /auth/me, /internal/users/{id}/context). */
export function listCompanyMembershipsOfUser(deps: Deps, userId: string, filter: MembershipFilter = {}): CompanyMembershipEntry[] {
  if (filter.companyId || filter.activeOnly) return companyMembershipsOfUsers(deps, [userId], filter).get(userId)!;
  // GET /auth/me runs this on every call: one prepared statement instead of a drizzle query build.
  const rows = deps
    .statement(
      `SELECT m.id, m.user_id, m.company_id, m.role, m.is_active, m.approval_limit, m.metadata, m.created_at, m.updated_at,
              t.slug, t.name
         FROM company_memberships m JOIN tenants t ON t.id = m.company_id
        WHERE m.user_id = ? ORDER BY t.slug`,
    )
    .all(userId) as RawCompanyMembership[];
  return rows.map((r) =>
    companyMembershipEntry(
      {
        id: r.id,
        userId: r.user_id,
        companyId: r.company_id,
        role: r.role,
        isActive: r.is_active === 1,
        approvalLimit: r.approval_limit,
        metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as MembershipMetadata),
        createdAt: new Date(r.created_at),
        updatedAt: new Date(r.updated_at),
      },
      r,
    ),
  );
}

interface RawCompanyMembership {
  id: string;
  user_id: string;
  company_id: string;
  role: CompanyRole;
  is_active: number;
  approval_limit: string | null;
  metadata: string | null;
  created_at: number;
  updated_at: number;
  slug: string;
  name: string;
}

interface RawBusinessUnitMembership {
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

/** Every business-unit membership of one user, active or not. */
export function listBusinessUnitMembershipsOfUser(deps: Deps, userId: string, filter: MembershipFilter = {}): BusinessUnitMembershipEntry[] {
  if (filter.companyId || filter.businessUnitId || filter.activeOnly) {
    return businessUnitMembershipsOfUsers(deps, [userId], filter).get(userId)!;
  }
  const rows = deps
    .statement(
      `SELECT id, user_id, company_id, business_unit_id, role, is_active, metadata, created_at, updated_at
         FROM business_unit_memberships WHERE user_id = ? ORDER BY company_id, business_unit_id`,
    )
    .all(userId) as RawBusinessUnitMembership[];
  return rows.map((r) =>
    businessUnitMembershipEntry({
      id: r.id,
      userId: r.user_id,
      companyId: r.company_id,
      businessUnitId: r.business_unit_id,
      role: r.role,
      isActive: r.is_active === 1,
      metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as MembershipMetadata),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }),
  );
}

/** Ids of live (not deleted) users with an active membership in the company, or in one of its business units. */
export function memberIdsOfCompany(deps: Deps, companyId: string, businessUnitId?: string): string[] {
  const rows = businessUnitId
    ? deps.db
        .selectDistinct({ id: users.id, email: users.email })
        .from(businessUnitMemberships)
        .innerJoin(users, eq(users.id, businessUnitMemberships.userId))
        .where(
          and(
            eq(businessUnitMemberships.companyId, companyId),
            eq(businessUnitMemberships.businessUnitId, businessUnitId),
            eq(businessUnitMemberships.isActive, true),
            isNull(users.deletedAt),
          ),
        )
        .orderBy(asc(users.email))
        .all()
    : deps.db
        .select({ id: users.id, email: users.email })
        .from(companyMemberships)
        .innerJoin(users, eq(users.id, companyMemberships.userId))
        .where(and(eq(companyMemberships.companyId, companyId), eq(companyMemberships.isActive, true), isNull(users.deletedAt)))
        .orderBy(asc(users.email))
        .all();
  return rows.map((r) => r.id);
}

function findLiveUser(deps: Deps, userId: string): UserRow | undefined {
  const user = deps.db.select().from(users).where(eq(users.id, userId)).get();
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
    const company = getCompany(deps, companyId);
    const user = findLiveUser(deps, input.userId);
    const existing = companyMembershipRow(deps, input.userId, company.id);
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

function companyMembershipRow(deps: Deps, userId: string, companyId: string): CompanyMembershipRow | undefined {
  return deps.db
    .select()
    .from(companyMemberships)
    .where(and(eq(companyMemberships.userId, userId), eq(companyMemberships.companyId, companyId)))
    .get();
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
  existing = companyMembershipRow(deps, input.userId, company.id),
): CompanyMembershipEntry {
  if (!deps.sqlite.inTransaction) throw new Error('writeCompanyMembership must run inside the transaction of its change');
  checkMembershipInput(input);
  const isActive = input.isActive ?? existing?.isActive ?? true;
  if (input.role === 'MANAGER' && isActive) {
    const bu = deps.db
      .select({ id: businessUnitMemberships.id })
      .from(businessUnitMemberships)
      .where(
        and(
          eq(businessUnitMemberships.userId, input.userId),
          eq(businessUnitMemberships.companyId, company.id),
          eq(businessUnitMemberships.isActive, true),
        ),
      )
      .get();
    if (!bu) throw validationError('Company role MANAGER needs an active business-unit membership in this company; create that first');
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
  if (existing) deps.db.update(companyMemberships).set(row).where(eq(companyMemberships.id, row.id)).run();
  else deps.db.insert(companyMemberships).values(row).run();
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
    const company = getCompany(deps, companyId);
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
  const existing = deps.db
    .select()
    .from(businessUnitMemberships)
    .where(
      and(
        eq(businessUnitMemberships.userId, input.userId),
        eq(businessUnitMemberships.companyId, company.id),
        eq(businessUnitMemberships.businessUnitId, businessUnitId),
      ),
    )
    .get();
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
  if (existing) deps.db.update(businessUnitMemberships).set(row).where(eq(businessUnitMemberships.id, row.id)).run();
  else deps.db.insert(businessUnitMemberships).values(row).run();
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
    const company = getCompany(deps, companyId);
    const existing = companyMembershipRow(deps, userId, company.id);
    authorize(deps, caller, 'membership.remove', { companyId: company.id, current: existing?.role ?? null });
    if (!existing) throw notFound(`Membership of user "${userId}" in company "${company.slug}"`);
    trackPermissionChanges(deps, company.id, caller, () => [userId], () => deps.db.delete(companyMemberships).where(eq(companyMemberships.id, existing.id)).run());
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
    const company = getCompany(deps, companyId);
    authorize(deps, caller, 'businessUnitMembership.remove', { companyId: company.id });
    const existing = deps.db
      .select()
      .from(businessUnitMemberships)
      .where(
        and(
          eq(businessUnitMemberships.userId, userId),
          eq(businessUnitMemberships.companyId, company.id),
          eq(businessUnitMemberships.businessUnitId, businessUnitId),
        ),
      )
      .get();
    if (!existing) throw notFound(`Business-unit membership of user "${userId}" in ${company.slug}/${businessUnitId}`);
    deps.db.delete(businessUnitMemberships).where(eq(businessUnitMemberships.id, existing.id)).run();
    deps.audit.append(company.id, {
      actor: caller,
      type: 'bu_membership.removed',
      target: { type: 'user', id: userId },
      payload: { membershipId: existing.id, businessUnitId, role: existing.role },
    });
  })();
}
