import type { JWK } from 'jose';
import type { Deps } from '../app/deps.ts';
import type { KeyStatus, SigningKeyRow } from './tables.ts';

/**
 * Every statement on `signing_keys`. The rules (rotation, retirement, the keyring cache, master-key re-sealing)
 * stay in signing-keys.ts and master-key-rotation.ts; other contexts ask those services instead of the table.
 * Statements are prepared once per Deps through deps.statement.
 */
type Statements = Pick<Deps, 'statement'>;

interface SigningKeyRecord {
  kid: string;
  tenant_id: string;
  alg: string;
  status: KeyStatus;
  public_jwk: string;
  private_key_enc: Buffer;
  master_key_id: string;
  created_at: number;
  deactivated_at: number | null;
  retired_at: number | null;
}

const COLUMNS = 'kid, tenant_id, alg, status, public_jwk, private_key_enc, master_key_id, created_at, deactivated_at, retired_at';

function toSigningKey(r: SigningKeyRecord): SigningKeyRow {
  return {
    kid: r.kid,
    tenantId: r.tenant_id,
    alg: r.alg,
    status: r.status,
    publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
    privateKeyEnc: r.private_key_enc,
    masterKeyId: r.master_key_id,
    createdAt: new Date(r.created_at),
    deactivatedAt: r.deactivated_at === null ? null : new Date(r.deactivated_at),
    retiredAt: r.retired_at === null ? null : new Date(r.retired_at),
  };
}

export function insertSigningKeyRow(deps: Statements, row: SigningKeyRow): void {
  deps
    .statement(`INSERT INTO signing_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      row.kid, row.tenantId, row.alg, row.status, JSON.stringify(row.publicJwk), row.privateKeyEnc, row.masterKeyId,
      row.createdAt.getTime(), row.deactivatedAt?.getTime() ?? null, row.retiredAt?.getTime() ?? null,
    );
}

export function selectSigningKey(deps: Statements, kid: string): SigningKeyRow | undefined {
  const r = deps.statement(`SELECT ${COLUMNS} FROM signing_keys WHERE kid = ?`).get(kid) as SigningKeyRecord | undefined;
  return r ? toSigningKey(r) : undefined;
}

/** Every key (of one tenant, or of all), oldest first. */
export function selectSigningKeys(deps: Statements, tenantId?: string): SigningKeyRow[] {
  const rows = tenantId === undefined
    ? deps.statement(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at`).all()
    : deps.statement(`SELECT ${COLUMNS} FROM signing_keys WHERE tenant_id = ? ORDER BY created_at`).all(tenantId);
  return (rows as SigningKeyRecord[]).map(toSigningKey);
}

/** The keys a tenant's JWKS publishes (active and inactive), oldest first. */
export function selectPublishedKeys(deps: Statements, tenantId: string): SigningKeyRow[] {
  return (
    deps.statement(`SELECT ${COLUMNS} FROM signing_keys WHERE tenant_id = ? AND status <> 'retired' ORDER BY created_at`).all(tenantId) as SigningKeyRecord[]
  ).map(toSigningKey);
}

export function selectActiveKeys(deps: Statements, tenantId: string): SigningKeyRow[] {
  return (deps.statement(`SELECT ${COLUMNS} FROM signing_keys WHERE tenant_id = ? AND status = 'active'`).all(tenantId) as SigningKeyRecord[]).map(toSigningKey);
}

/** Every public key a tenant ever had (active, rotated and retired), for checking old signatures. */
export function selectPublicJwks(deps: Statements, tenantId: string): Array<{ kid: string; publicJwk: JWK }> {
  const rows = deps.statement('SELECT kid, public_jwk FROM signing_keys WHERE tenant_id = ?').raw().all(tenantId) as Array<[string, string]>;
  return rows.map(([kid, jwk]) => ({ kid, publicJwk: JSON.parse(jwk) as JWK }));
}

/** `kid:status,…` of a tenant's keys: the keyring re-reads the keys only when it changes. */
export function selectKeySetFingerprint(deps: Statements, tenantId: string): string {
  return deps
    .statement("SELECT coalesce(group_concat(kid || ':' || status, ','), '') FROM signing_keys WHERE tenant_id = ?")
    .pluck()
    .get(tenantId) as string;
}

export function deactivateActiveKeys(deps: Statements, tenantId: string, at: Date): void {
  deps.statement("UPDATE signing_keys SET status = 'inactive', deactivated_at = ? WHERE tenant_id = ? AND status = 'active'").run(at.getTime(), tenantId);
}

export function markKeyRetired(deps: Statements, kid: string, at: Date): void {
  deps.statement("UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE kid = ?").run(at.getTime(), kid);
}

/** Every private key as sealed, with the master key that sealed it (master-key rotation re-seals them all). */
export function selectSealedPrivateKeys(deps: Statements): Array<{ kid: string; privateKeyEnc: Buffer; masterKeyId: string }> {
  return deps.statement('SELECT kid, private_key_enc AS privateKeyEnc, master_key_id AS masterKeyId FROM signing_keys').all() as Array<{
    kid: string;
    privateKeyEnc: Buffer;
    masterKeyId: string;
  }>;
}

export function updateSealedPrivateKey(deps: Statements, kid: string, privateKeyEnc: Buffer, masterKeyId: string): void {
  deps.statement('UPDATE signing_keys SET private_key_enc = ?, master_key_id = ? WHERE kid = ?').run(privateKeyEnc, masterKeyId, kid);
}
