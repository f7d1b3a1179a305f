import { assertPlainText } from '../app/control-characters.ts';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { generateRsaKey, insertSigningKey } from '../keys/signing-keys.ts';
import { publishAuditHeads } from '../audit/heads.ts';
import type { TenantRow } from './tables.ts';
import { isCompany, MASTER_SLUG } from './master.ts';
import { insertTenantRow, selectAllTenants, selectTenantById, selectTenantByRef, slugTaken, tenantIdByLegacyCode, updateTenantRow } from './store.ts';

export { isCompany, MASTER_SLUG } from './master.ts';
/** Lower-case letters, digits and inner hyphens; 2–63 characters (a DNS label, safe in `/t/{slug}/`). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$/;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CreateTenantInput {
  slug: string;
  name: string;
  legacyCode?: string | null;
}

export function validateSlug(slug: string, { allowReserved = false } = {}): void {
  if (!SLUG_PATTERN.test(slug)) {
    throw validationError(
      `Invalid slug "${slug}": use 2–63 lower-case letters, digits or hyphens, starting and ending with a letter or digit`,
    );
  }
  if (!allowReserved && slug === MASTER_SLUG) throw validationError(`The slug "${MASTER_SLUG}" is reserved`);
}

/** Creates a tenant with its own RS256 key pair, audited in the platform chain and in its own. */
export async function createTenant(
  deps: Deps,
  input: CreateTenantInput,
  actor: Actor,
  options: { allowReserved?: boolean } = {},
): Promise<TenantRow> {
  const slug = input.slug.trim();
  const name = input.name.trim();
  validateSlug(slug, options);
  if (!name) throw validationError('A tenant needs a name');
  assertPlainText('name', input.name);
  assertPlainText('legacyCode', input.legacyCode);
  const key = await generateRsaKey();
  // IMMEDIATE takes the write lock up front: a second process on the data dir then waits (busy_timeout)
  // instead of failing with "database is locked" when its read snapshot turns stale on the first write.
  return deps.sqlite.transaction(() => {
    if (slugTaken(deps, slug)) throw conflict(`A tenant with slug "${slug}" already exists`);
    if (input.legacyCode) {
      if (tenantIdByLegacyCode(deps, input.legacyCode)) throw conflict(`A tenant with legacy code "${input.legacyCode}" already exists`);
    }
    const now = deps.clock.now();
    const row: TenantRow = {
      id: randomUUID(),
      slug,
      name,
      legacyCode: input.legacyCode ?? null,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    };
    insertTenantRow(deps, row);
    const platformId = slug === MASTER_SLUG ? row.id : platformTenantId(deps);
    const event = {
      actor,
      type: 'tenant.created',
      target: { type: 'tenant', id: row.id },
      payload: { slug, name, legacyCode: row.legacyCode },
    };
    deps.audit.append(row.id, event);
    if (platformId !== row.id) deps.audit.append(platformId, event);
    insertSigningKey(deps, row.id, key, actor);
    return row;
  })();
}

export function listTenants(deps: Deps): TenantRow[] {
  return selectAllTenants(deps);
}

/** Finds a tenant by id, slug or legacy code. */
export function findTenant(deps: Deps, ref: string): TenantRow | undefined {
  const key = ref.trim();
  if (!key) return undefined;
  return selectTenantByRef(deps, key);
}

export function getTenant(deps: Deps, ref: string): TenantRow {
  const tenant = findTenant(deps, ref);
  if (!tenant) throw notFound(`Tenant "${ref}"`);
  return tenant;
}

/** A company by id, slug or legacy code: the platform tenant is not one (404, as for an unknown company). */
export function resolveCompany(deps: Deps, ref: string): TenantRow {
  const tenant = findTenant(deps, ref);
  if (!tenant || !isCompany(tenant)) throw notFound(`Company "${ref}"`);
  return tenant;
}

/** A company by its id (the `companyId` of seed 002's routes). */
export function getCompanyById(deps: Deps, companyId: string): TenantRow {
  const tenant = selectTenantById(deps, companyId);
  if (!tenant || !isCompany(tenant)) throw notFound(`Company "${companyId}"`);
  return tenant;
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The reserved `master` tenant's id: platform events and the platform signing key live there. */
export function platformTenantId(deps: Deps): string {
  return deps.platformTenantId();
}

export interface UpdateTenantInput {
  name?: string;
  /** null clears it. */
  legacyCode?: string | null;
  status?: TenantRow['status'];
}

/** Renames, re-codes, disables or re-enables a tenant; audited in its chain and the platform's. */
export function updateTenant(deps: Deps, ref: string, input: UpdateTenantInput, actor: Actor): TenantRow {
  const name = input.name?.trim();
  if (name !== undefined && !name) throw validationError('A tenant needs a name');
  assertPlainText('name', input.name);
  assertPlainText('legacyCode', input.legacyCode);
  if (input.legacyCode !== undefined && input.legacyCode !== null && !input.legacyCode.trim()) {
    throw validationError('legacyCode must not be empty (clear it instead)');
  }
  if (input.status !== undefined && !['active', 'disabled'].includes(input.status)) {
    throw validationError('status must be active or disabled');
  }
  return deps.sqlite.transaction(() => {
    const before = getTenant(deps, ref);
    if (before.slug === MASTER_SLUG && input.status === 'disabled') throw validationError('The platform tenant cannot be disabled');
    const next: TenantRow = {
      ...before,
      name: name ?? before.name,
      legacyCode: input.legacyCode === undefined ? before.legacyCode : input.legacyCode?.trim() ?? null,
      status: input.status ?? before.status,
    };
    const changed = (['name', 'legacyCode', 'status'] as const).filter((k) => next[k] !== before[k]);
    if (changed.length === 0) return before;
    if (next.legacyCode && next.legacyCode !== before.legacyCode) {
      if (tenantIdByLegacyCode(deps, next.legacyCode)) throw conflict(`A tenant with legacy code "${next.legacyCode}" already exists`);
    }
    next.updatedAt = deps.clock.now();
    updateTenantRow(deps, next);
    const event = {
      actor,
      type: 'tenant.updated',
      target: { type: 'tenant', id: before.id },
      payload: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: next[k] }])),
    };
    deps.audit.append(before.id, event);
    const platformId = platformTenantId(deps);
    if (platformId !== before.id) deps.audit.append(platformId, event);
    return next;
  })();
}

/**
 * createTenant, then the new tenant's first published head (so GET /t/{slug}/audit/head answers at once).
 * What `tenants create` and other tenant-creating doors call; a head that cannot be published is logged.
 */
export async function createTenantWithHead(deps: Deps, input: CreateTenantInput, actor: Actor): Promise<TenantRow> {
  const tenant = await createTenant(deps, input, actor);
  const { failed } = await publishAuditHeads(deps, { tenantId: tenant.id });
  for (const f of failed) deps.logger.error({ tenant: f.slug, err: f.error }, 'first audit head not published');
  return tenant;
}
