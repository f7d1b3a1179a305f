import type { Row } from './store.ts';

/** The one member of a tenant export archive, `tenant.json`: everything of one tenant, as rows. */
export const TENANT_MEMBER = 'tenant.json';
/** 2: user-scoped tables (second factor) and opened secrets (`$unsealed`); 1 is still read. */
export const TENANT_ARCHIVE_FORMAT = 2;
export const READABLE_ARCHIVE_FORMATS: readonly number[] = [1, 2];

export interface TenantArchive {
  format: number;
  exportedAt: string;
  source: { publicUrl: string; migrations: string[] };
  tenant: Row;
  /** Identity rows (password hashes included) of every user a tenant row references. */
  users: Row[];
  /** Signing keys with the private key in clear (PKCS#8, base64): the archive itself is sealed. */
  signingKeys: Array<Row & { private_key_pkcs8: string }>;
  /** The chain as stored at the source, verified before export. */
  auditEntries: Row[];
  auditHeads: Row[];
  /** Every other tenant-scoped table, discovered from the schema or named in coverage.ts. */
  tables: Record<string, ArchivedTable>;
}

export interface ArchivedTable {
  tenantColumns: string[];
  /** Rows that may exist at the target already (INSERT OR IGNORE). */
  referenceOnly: boolean;
  /** A user's own rows: inserted only for the accounts the import creates. */
  scope?: { user: string };
  rows: Row[];
}

/** Rows to JSON: BLOBs become `{ "$base64": … }`. */
export function encodeRows(rows: Row[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? { $base64: v.toString('base64') } : v])),
  );
}

export function decodeRow(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      v && typeof v === 'object' && typeof (v as { $base64?: unknown }).$base64 === 'string' ? Buffer.from((v as { $base64: string }).$base64, 'base64') : v,
    ]),
  );
}
