import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Deps } from '../../app/deps.ts';
import { conflict, validationError } from '../../app/errors.ts';
import type { Actor } from '../../audit/audit-log.ts';
import { verifyAuditChains } from '../../audit/verify.ts';
import { decryptSecret } from '../../keys/master-key.ts';
import { signingKeyAad } from '../../keys/signing-keys.ts';
import { getTenant, MASTER_SLUG } from '../../tenants/tenants.ts';
import { sealArchive } from '../archive/sealed-archive.ts';
import { POLYMORPHIC_USER_REFERENCES, SHARED_REFERENCE_TABLES, USER_SCOPED_TABLES } from './coverage.ts';
import { openSealedColumns } from './sealed-values.ts';
import {
  childTables,
  rowsOfParents,
  type Row,
  auditEntryRows,
  auditHeadRows,
  migrationTags,
  rowsOfTenant,
  rowsOfUsers,
  rowsWithValues,
  signingKeyRows,
  tenantRow,
  tenantScopedTables,
  userRows,
} from './store.ts';
import { encodeRows, TENANT_ARCHIVE_FORMAT, TENANT_MEMBER, type TenantArchive } from './tenant-archive.ts';

export interface ExportTenantInput {
  tenant: string;
  out: string;
  passphrase: string;
  actor: Actor;
}

export interface ExportTenantResult {
  tenant: { id: string; slug: string };
  file: string;
  bytes: number;
  sha256: string;
  users: number;
  signingKeys: number;
  auditEntries: number;
  auditHeads: number;
  tables: Record<string, number>;
  /**
   * `table.column`s holding values sealed with this instance's master key (sealToText) that the export does not know
   * how to open (sealed-values.ts knows webhook and TOTP secrets): they travel as they are and will not open on
   * another instance (the context that owns them must re-issue them).
   */
  sealedColumns: string[];
}

const SEALED_TEXT = /^([0-9a-f]{16})\.[A-Za-z0-9+/]+=*$/;

function masterKeySealedColumns(deps: Deps, archive: TenantArchive): string[] {
  const found = new Set<string>();
  for (const [table, data] of Object.entries(archive.tables)) {
    for (const row of data.rows) {
      for (const [column, value] of Object.entries(row)) {
        const match = typeof value === 'string' ? SEALED_TEXT.exec(value) : null;
        if (match && deps.masterKeys.keys.has(match[1])) found.add(`${table}.${column}`);
      }
    }
  }
  return [...found].sort();
}

/**
 * Writes one archive of everything tenant-scoped, sealed with AES-256-GCM under a key derived from the passphrase
 * (scrypt): the tenant row, every table that references the tenant (discovered, see store.ts, or named in
 * coverage.ts), the identity rows of the users those rows reference (password hashes included) with their second
 * factor, webhook and TOTP secrets opened (sealed again by the target, see sealed-values.ts), the signing keys (private keys decrypted here,
 * re-encrypted by the importing instance under its own master key), and the audit chain with its heads — verified
 * first, so a broken chain is never exported. Audited (`tenant.exported`) in the tenant's and the platform chain.
 */
export async function exportTenant(deps: Deps, input: ExportTenantInput): Promise<ExportTenantResult> {
  const tenant = getTenant(deps, input.tenant);
  if (tenant.slug === MASTER_SLUG) throw validationError('The master tenant is the instance itself; back it up with `kimauth backup`');
  const out = path.resolve(input.out);
  if (existsSync(out)) throw conflict(`${out} already exists; choose another --out`);

  const verified = await verifyAuditChains(deps, { tenantIds: [tenant.id] });
  if (!verified.ok) {
    const b = verified.firstBreak!;
    throw conflict(`The audit chain of ${tenant.slug} does not verify (seq ${b.seq ?? '?'}, ${b.kind}: ${b.message}); not exported`);
  }

  // One read snapshot: rows of every table as of the same moment.
  const archive = deps.sqlite.transaction((): TenantArchive => {
    const tables: TenantArchive['tables'] = {};
    const userIds = new Set<string>();
    const rawRows = new Map<string, Row[]>();
    for (const table of tenantScopedTables(deps)) {
      const rows = rowsOfTenant(deps, table, tenant.id);
      for (const row of rows) for (const column of table.userColumns) if (typeof row[column] === 'string') userIds.add(row[column] as string);
      rawRows.set(table.name, rows);
      tables[table.name] = { tenantColumns: table.tenantColumns, referenceOnly: table.referenceOnly, rows: encodeRows(openSealedColumns(deps, table.name, rows)) };
    }
    // Rows that belong to the tenant through a parent row (no tenant column of their own), to any depth.
    for (let children = childTables(deps, new Set(rawRows.keys())); children.length; children = childTables(deps, new Set(rawRows.keys()))) {
      for (const child of children) {
        const values = new Map<string, unknown[]>();
        for (const parent of child.parents) {
          const parentRows = rawRows.get(parent.table) ?? [];
          values.set(parent.from, [...new Set(parentRows.map((r) => r[parent.to]).filter((v) => v !== null && v !== undefined))]);
        }
        const rows = rowsOfParents(deps, child, values);
        for (const row of rows) for (const column of child.userColumns) if (typeof row[column] === 'string') userIds.add(row[column] as string);
        rawRows.set(child.name, rows);
        tables[child.name] = { tenantColumns: [], referenceOnly: false, rows: encodeRows(openSealedColumns(deps, child.name, rows)) };
      }
    }
    // Principals named by type and id: a `user` there travels like one named by a foreign key.
    for (const ref of POLYMORPHIC_USER_REFERENCES) {
      for (const row of rawRows.get(ref.table) ?? []) if (row[ref.typeColumn] === 'user' && typeof row[ref.idColumn] === 'string') userIds.add(row[ref.idColumn] as string);
    }
    // The users' own rows (second factor), for the accounts the import will create.
    for (const [table, userColumn] of Object.entries(USER_SCOPED_TABLES)) {
      const rows = rowsOfUsers(deps, table, userColumn, [...userIds]);
      tables[table] = { tenantColumns: [], referenceOnly: false, scope: { user: userColumn }, rows: encodeRows(openSealedColumns(deps, table, rows)) };
    }
    // Instance-wide rows the tenant's rows name by value (VIES evidence, operator-defined modules).
    for (const shared of SHARED_REFERENCE_TABLES) {
      const values = new Set<unknown>();
      for (const by of shared.namedBy) for (const row of rawRows.get(by.table) ?? []) if (row[by.column] !== null && row[by.column] !== undefined) values.add(row[by.column]);
      tables[shared.table] = { tenantColumns: [], referenceOnly: true, rows: encodeRows(rowsWithValues(deps, shared.table, shared.column, [...values])) };
    }
    const signingKeys = signingKeyRows(deps, tenant.id).map((row) => {
      const pkcs8 = decryptSecret(deps.masterKeys, row.private_key_enc as Buffer, signingKeyAad(row.kid as string), row.master_key_id as string);
      const { private_key_enc: _sealed, master_key_id: _keyId, ...rest } = row;
      return { ...rest, private_key_pkcs8: pkcs8.toString('base64') };
    });
    return {
      format: TENANT_ARCHIVE_FORMAT,
      exportedAt: deps.clock.now().toISOString(),
      source: { publicUrl: deps.config.publicUrl, migrations: migrationTags(deps) },
      tenant: tenantRow(deps, tenant.id)!,
      users: encodeRows(userRows(deps, [...userIds])),
      signingKeys,
      auditEntries: auditEntryRows(deps, tenant.id),
      auditHeads: auditHeadRows(deps, tenant.id),
      tables,
    };
  })();

  const sealedColumns = masterKeySealedColumns(deps, archive);
  const counts = Object.fromEntries(Object.entries(archive.tables).map(([name, t]) => [name, t.rows.length]));
  const meta = { tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name }, users: archive.users.length, auditEntries: archive.auditEntries.length };
  const bytes = sealArchive('kimauth-tenant-export', [{ name: TENANT_MEMBER, data: Buffer.from(JSON.stringify(archive)) }], { type: 'passphrase', passphrase: input.passphrase }, meta, archive.exportedAt);
  writeFileSync(out, bytes, { mode: 0o600, flag: 'wx' });
  const result: ExportTenantResult = {
    tenant: { id: tenant.id, slug: tenant.slug },
    file: out,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    users: archive.users.length,
    signingKeys: archive.signingKeys.length,
    auditEntries: archive.auditEntries.length,
    auditHeads: archive.auditHeads.length,
    tables: counts,
    sealedColumns,
  };
  deps.sqlite.transaction(() => {
    const event = {
      actor: input.actor,
      type: 'tenant.exported',
      target: { type: 'tenant', id: tenant.id },
      payload: { file: path.basename(out), sha256: result.sha256, users: result.users, auditEntries: result.auditEntries, tables: counts },
    };
    deps.audit.append(tenant.id, event);
    deps.audit.append(deps.platformTenantId(), event);
  })();
  return result;
}
