import type { Deps } from '../app/deps.ts';
import { cachePerOwner, createCommittedReadCache } from '../db/committed-read-cache.ts';
import type { TenantRow } from './tables.ts';

/**
 * Every statement on the `tenants` table. Other contexts ask here (or the services of tenants.ts / tenant-lookup.ts)
 * instead of reading the table; statements are prepared once per Deps through deps.statement.
 */
interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  legacy_code: string | null;
  status: TenantRow['status'];
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, slug, name, legacy_code, status, created_at, updated_at';

function toTenant(r: TenantRecord): TenantRow {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    legacyCode: r.legacy_code,
    status: r.status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** By id, slug (lower-cased) or legacy code: what every `--tenant REF` and `/internal/companies/resolve` accept. */
export function selectTenantByRef(deps: Deps, ref: string): TenantRow | undefined {
  const r = deps.statement(`SELECT ${COLUMNS} FROM tenants WHERE id = ? OR slug = ? OR legacy_code = ? LIMIT 1`).get(ref, ref.toLowerCase(), ref) as
    | TenantRecord
    | undefined;
  return r ? toTenant(r) : undefined;
}

/** Every `/t/{slug}/` request and every membership check resolves a tenant; its row changes rarely. */
const cachedTenants = cachePerOwner((sqlite: Deps['sqlite']) => createCommittedReadCache<TenantRow>(sqlite));

/** A tenant by slug or id; the row is shared (frozen): copy it to change it. */
export function selectTenantBySlug(deps: Deps, slug: string): TenantRow | undefined {
  return cachedTenants(deps.sqlite).get(`slug:${slug}`, () => {
    const r = deps.statement(`SELECT ${COLUMNS} FROM tenants WHERE slug = ?`).get(slug) as TenantRecord | undefined;
    return r ? toTenant(r) : undefined;
  });
}

export function selectTenantById(deps: Deps, id: string): TenantRow | undefined {
  return cachedTenants(deps.sqlite).get(`id:${id}`, () => {
    const r = deps.statement(`SELECT ${COLUMNS} FROM tenants WHERE id = ?`).get(id) as TenantRecord | undefined;
    return r ? toTenant(r) : undefined;
  });
}

/** Whether a tenant exists and is enabled: what hot membership checks ask. */
export function tenantIsActive(deps: Deps, id: string): boolean {
  return selectTenantById(deps, id)?.status === 'active';
}

export function selectAllTenants(deps: Deps): TenantRow[] {
  return (deps.statement(`SELECT ${COLUMNS} FROM tenants ORDER BY created_at, slug`).all() as TenantRecord[]).map(toTenant);
}

export function slugTaken(deps: Deps, slug: string): boolean {
  return deps.statement('SELECT 1 FROM tenants WHERE slug = ?').get(slug) !== undefined;
}

/** The tenant holding a legacy code, if any (codes are unique across tenants). */
export function tenantIdByLegacyCode(deps: Deps, code: string): string | undefined {
  return deps.statement('SELECT id FROM tenants WHERE legacy_code = ?').pluck().get(code) as string | undefined;
}

export function selectDisabledTenantIds(deps: Deps): string[] {
  return deps.statement("SELECT id FROM tenants WHERE status = 'disabled'").pluck().all() as string[];
}

export function insertTenantRow(deps: Deps, row: TenantRow): void {
  cachedTenants(deps.sqlite).invalidate();
  deps
    .statement(`INSERT INTO tenants (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .run(row.id, row.slug, row.name, row.legacyCode, row.status, row.createdAt.getTime(), row.updatedAt.getTime());
}

export function updateTenantRow(deps: Deps, row: TenantRow): void {
  cachedTenants(deps.sqlite).invalidate();
  deps
    .statement('UPDATE tenants SET name = ?, legacy_code = ?, status = ?, updated_at = ? WHERE id = ?')
    .run(row.name, row.legacyCode, row.status, row.updatedAt.getTime(), row.id);
}
