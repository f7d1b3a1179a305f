import type { Deps } from '../../app/deps.ts';
import { EXCLUDED_TABLES, SHARED_REFERENCE_TABLES, TENANT_COLUMN_TABLES, USER_SCOPED_TABLES } from './coverage.ts';

/**
 * Generic SQL of tenant export/import. Which tables are tenant-scoped is discovered from the schema, not listed:
 * every table with a foreign key to `tenants` (tenant_id, company_id, …), so tables other capabilities add later
 * (clients, roles, groups, API keys, webhooks, agents) travel without a change here. Table and column names come
 * only from sqlite_master / pragma output and are checked against a strict pattern before they are quoted.
 */

export type Row = Record<string, unknown>;

export interface TenantScopedTable {
  name: string;
  /** The column(s) that reference tenants(id). */
  tenantColumns: string[];
  /** Every tenant column is nullable: the row belongs elsewhere and merely points at the tenant (a preference). */
  referenceOnly: boolean;
  /** Columns referencing users(id): their users travel with the tenant. */
  userColumns: string[];
  columns: string[];
}

/** Handled on their own: the tenant row, the chain (re-sealed), heads (re-published), keys (re-encrypted), users. */
export const SPECIAL_TABLES = new Set(['tenants', 'audit_entries', 'audit_heads', 'signing_keys', 'users']);

/** Tables named in coverage.ts: never picked up by discovery, whatever their foreign keys. */
const NAMED_TABLES = new Set([
  ...Object.keys(EXCLUDED_TABLES),
  ...Object.keys(USER_SCOPED_TABLES),
  ...SHARED_REFERENCE_TABLES.map((t) => t.table),
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quoted(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`unexpected identifier in the schema: ${name}`);
  return `"${name}"`;
}

export function tableNames(deps: Deps): string[] {
  return deps
    .statement("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

export function tableColumns(deps: Deps, table: string): Array<{ name: string; notnull: number; pk: number }> {
  return deps.statement('SELECT name, "notnull", pk FROM pragma_table_info(?) ORDER BY cid').all(table) as Array<{ name: string; notnull: number; pk: number }>;
}

function foreignKeys(deps: Deps, table: string): Array<{ table: string; from: string }> {
  return deps.statement('SELECT "table", "from" FROM pragma_foreign_key_list(?)').all(table) as Array<{ table: string; from: string }>;
}

/** Every table that references tenants (or names its tenant in a column coverage.ts lists), except the special ones. */
export function tenantScopedTables(deps: Deps): TenantScopedTable[] {
  const found: TenantScopedTable[] = [];
  for (const name of tableNames(deps)) {
    if (SPECIAL_TABLES.has(name) || NAMED_TABLES.has(name)) continue;
    const fks = foreignKeys(deps, name);
    const tenantColumns = [...new Set([...fks.filter((fk) => fk.table === 'tenants').map((fk) => fk.from), ...(TENANT_COLUMN_TABLES[name] ?? [])])];
    if (tenantColumns.length === 0) continue;
    const columns = tableColumns(deps, name);
    const nullable = (column: string) => columns.find((c) => c.name === column)?.notnull === 0 && !columns.find((c) => c.name === column)?.pk;
    found.push({
      name,
      tenantColumns,
      referenceOnly: tenantColumns.every(nullable),
      userColumns: fks.filter((fk) => fk.table === 'users').map((fk) => fk.from),
      columns: columns.map((c) => c.name),
    });
  }
  return found;
}

/** A table without a tenant column whose rows belong to rows of tenant-scoped tables (group members, role grants). */
export interface ChildTable {
  name: string;
  parents: Array<{ from: string; table: string; to: string }>;
  userColumns: string[];
}

/**
 * Tables that are not yet included and reference an included table (other than tenants and users): their rows
 * belong to the tenant through their parent. Called until it finds nothing new.
 */
export function childTables(deps: Deps, included: Set<string>): ChildTable[] {
  const found: ChildTable[] = [];
  for (const name of tableNames(deps)) {
    if (SPECIAL_TABLES.has(name) || NAMED_TABLES.has(name) || included.has(name)) continue;
    const fks = foreignKeys(deps, name) as Array<{ table: string; from: string; to: string | null }>;
    const parents = fks.filter((fk) => included.has(fk.table) && !SPECIAL_TABLES.has(fk.table));
    if (parents.length === 0) continue;
    const primaryKey = (table: string) => tableColumns(deps, table).find((c) => c.pk === 1)?.name ?? 'rowid';
    found.push({
      name,
      parents: parents.map((fk) => ({ from: fk.from, table: fk.table, to: fk.to ?? primaryKey(fk.table) })),
      userColumns: fks.filter((fk) => fk.table === 'users').map((fk) => fk.from),
    });
  }
  return found;
}

/** Rows of a child table whose parent columns take one of the given values (per parent: from → values). */
export function rowsOfParents(deps: Deps, table: ChildTable, valuesByColumn: Map<string, unknown[]>): Row[] {
  const conditions = [...valuesByColumn.keys()].map((column, i) => `${quoted(column)} IN (SELECT value FROM json_each(@v${i}))`);
  if (conditions.length === 0) return [];
  const params = Object.fromEntries([...valuesByColumn.values()].map((values, i) => [`v${i}`, JSON.stringify(values)]));
  return deps.statement(`SELECT * FROM ${quoted(table.name)} WHERE ${conditions.join(' OR ')}`).all(params) as Row[];
}

/** Rows of `table` whose tenant column(s) name the tenant. */
export function rowsOfTenant(deps: Deps, table: TenantScopedTable, tenantId: string): Row[] {
  const where = table.tenantColumns.map((c) => `${quoted(c)} = @tenant`).join(' OR ');
  return deps.statement(`SELECT * FROM ${quoted(table.name)} WHERE ${where}`).all({ tenant: tenantId }) as Row[];
}

/** Rows of a user-scoped table (coverage.ts) for the given users. */
export function rowsOfUsers(deps: Deps, table: string, userColumn: string, userIds: string[]): Row[] {
  if (userIds.length === 0) return [];
  return deps.statement(`SELECT * FROM ${quoted(table)} WHERE ${quoted(userColumn)} IN (SELECT value FROM json_each(?))`).all(JSON.stringify(userIds)) as Row[];
}

/** Rows of an instance-wide table whose `column` takes one of the values. */
export function rowsWithValues(deps: Deps, table: string, column: string, values: unknown[]): Row[] {
  if (values.length === 0) return [];
  return deps.statement(`SELECT * FROM ${quoted(table)} WHERE ${quoted(column)} IN (SELECT value FROM json_each(?))`).all(JSON.stringify(values)) as Row[];
}

export function tenantRow(deps: Deps, tenantId: string): Row | undefined {
  return deps.statement('SELECT * FROM tenants WHERE id = ?').get(tenantId) as Row | undefined;
}

export function tenantIdBySlug(deps: Deps, slug: string): string | undefined {
  return deps.statement('SELECT id FROM tenants WHERE slug = ?').pluck().get(slug) as string | undefined;
}

export function signingKeyRows(deps: Deps, tenantId: string): Row[] {
  return deps.statement('SELECT * FROM signing_keys WHERE tenant_id = ? ORDER BY created_at').all(tenantId) as Row[];
}

export function signingKeyExists(deps: Deps, kid: string): boolean {
  return deps.statement('SELECT 1 FROM signing_keys WHERE kid = ?').get(kid) !== undefined;
}

export function auditEntryRows(deps: Deps, tenantId: string): Row[] {
  return deps.statement('SELECT * FROM audit_entries WHERE tenant_id = ? ORDER BY seq').all(tenantId) as Row[];
}

export function auditHeadRows(deps: Deps, tenantId: string): Row[] {
  return deps.statement('SELECT * FROM audit_heads WHERE tenant_id = ? ORDER BY published_at, id').all(tenantId) as Row[];
}

export function userRows(deps: Deps, ids: string[]): Row[] {
  if (ids.length === 0) return [];
  return deps.statement('SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').all(JSON.stringify(ids)) as Row[];
}

export function userByIdOrEmail(deps: Deps, id: string, email: string): Row[] {
  return deps.statement('SELECT id, email FROM users WHERE id = ? OR email = ? COLLATE NOCASE').all(id, email) as Row[];
}

export function migrationTags(deps: Deps): string[] {
  return deps.statement('SELECT tag FROM kimauth_migrations ORDER BY tag').pluck().all() as string[];
}

/** Inserts one row; `orIgnore` keeps an existing row with the same key (reference-only rows). */
export function insertRow(deps: Deps, table: string, row: Row, options: { orIgnore?: boolean } = {}): void {
  const columns = Object.keys(row);
  const sql = `INSERT ${options.orIgnore ? 'OR IGNORE ' : ''}INTO ${quoted(table)} (${columns.map(quoted).join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
  deps.statement(sql).run(row);
}

/** Foreign keys are checked at COMMIT (rows of one import reference each other in any order). */
export function deferForeignKeys(deps: Deps): void {
  deps.sqlite.pragma('defer_foreign_keys = ON');
}

export function foreignKeyViolations(deps: Deps): Array<{ table: string; parent: string }> {
  return deps.sqlite.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
}
