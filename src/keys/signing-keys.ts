import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, calculateJwkThumbprint, type JWK } from 'jose';
import type { Deps } from '../app/deps.ts';
import { AppError, notFound } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { decryptSecret, encryptSecret } from './master-key.ts';
import type { SigningKeyRow } from './tables.ts';
import { findTenant } from '../tenants/tenants.ts';
import {
  deactivateActiveKeys,
  insertSigningKeyRow,
  markKeyRetired,
  selectActiveKeys,
  selectKeySetFingerprint,
  selectPublicJwks,
  selectPublishedKeys,
  selectSigningKey,
  selectSigningKeys,
} from './store.ts';

export const SIGNING_ALG = 'RS256';
const RSA_BITS = 2048;

interface GeneratedKey {
  kid: string;
  publicJwk: JWK;
  pkcs8: Buffer;
  /** RS256 when absent. */
  alg?: SigningAlg;
}

/** The JWS algorithms a tenant may sign with (issue 11 §6); RS256 is the default and the platform's. */
export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** A key pair for `alg` (RSA 2048, P-256 or Ed25519). */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  if (alg === 'RS256') return generateRsaKey();
  for (;;) {
    const { publicKey, privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    if (typableKid(kid)) return { kid, alg, publicJwk: { ...jwk, kid, alg, use: 'sig' }, pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }) };
  }
}

/**
 * A kid is the key's RFC 7638 thumbprint (base64url), and one in 64 of those starts with "-": on the command line
 * (`kimauth keys retire <kid>`) it would read as an option. Such a pair is thrown away and another one made, so
 * every new kid can be typed as it is printed.
 */
export function typableKid(kid: string): boolean {
  return !kid.startsWith('-');
}

/** The algorithm a private key signs with. */
export function signingAlgOf(key: KeyObject): SigningAlg {
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return 'RS256';
}

/** RSA work happens outside any transaction; only the insert joins it. */
export async function generateRsaKey(): Promise<GeneratedKey> {
  for (;;) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    if (!typableKid(kid)) continue;
    return {
      kid,
      publicJwk: { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' },
      pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
    };
  }
}

/** The associated data a private key is sealed under (tenant export re-seals keys under another master key). */
export const signingKeyAad = (kid: string) => `signing-key:${kid}`;
const aad = signingKeyAad;

/** Inserts a generated key as the tenant's active one. Call inside the transaction that needs it. */
export function insertSigningKey(deps: Deps, tenantId: string, key: GeneratedKey, actor: Actor): SigningKeyRow {
  const now = deps.clock.now();
  const row: SigningKeyRow = {
    kid: key.kid,
    tenantId,
    alg: key.alg ?? SIGNING_ALG,
    status: 'active' as const,
    publicJwk: key.publicJwk as Record<string, unknown>,
    privateKeyEnc: encryptSecret(deps.masterKeys, key.pkcs8, aad(key.kid)),
    masterKeyId: deps.masterKeys.currentId,
    createdAt: now,
    deactivatedAt: null,
    retiredAt: null,
  };
  insertSigningKeyRow(deps, row);
  deps.audit.append(tenantId, {
    actor,
    type: 'key.created',
    target: { type: 'signing_key', id: key.kid },
    payload: key.alg && key.alg !== SIGNING_ALG ? { alg: key.alg } : { alg: SIGNING_ALG, bits: RSA_BITS },
  });
  return row;
}

export function listSigningKeys(deps: Deps, tenantId?: string): SigningKeyRow[] {
  return selectSigningKeys(deps, tenantId || undefined);
}

/** Every public key a tenant ever had, retired ones too: an old signature (an audit head) stays checkable. */
export function publicJwksOfTenant(deps: Deps, tenantId: string): Array<{ kid: string; publicJwk: JWK }> {
  return selectPublicJwks(deps, tenantId);
}

/** Makes a new active key; the old one stays published (inactive) until it is retired. */
export async function rotateSigningKey(deps: Deps, tenantId: string, actor: Actor, requestedAlg?: SigningAlg): Promise<SigningKeyRow> {
  // Without an algorithm, the tenant keeps the one it signs with now (an ES256 tenant rotates to a new ES256 key).
  const current = selectActiveKeys(deps, tenantId)[0];
  const alg = requestedAlg ?? ((current?.alg as SigningAlg | undefined) ?? SIGNING_ALG);
  if (!(SIGNING_ALGS as readonly string[]).includes(alg)) throw new AppError('validation_error', `Signing algorithm must be one of ${SIGNING_ALGS.join(', ')}`);
  const fresh = await generateSigningKey(alg);
  const row = deps.sqlite.transaction(() => {
    if (findTenant(deps, tenantId)?.id !== tenantId) throw notFound('Tenant');
    const previous = selectActiveKeys(deps, tenantId);
    deactivateActiveKeys(deps, tenantId, deps.clock.now());
    const inserted = insertSigningKey(deps, tenantId, fresh, actor);
    deps.audit.append(tenantId, {
      actor,
      type: 'key.rotated',
      target: { type: 'signing_key', id: fresh.kid },
      payload: { previousKids: previous.map((p) => p.kid), ...(alg !== SIGNING_ALG ? { alg } : {}) },
    });
    return inserted;
  })();
  deps.keyring.invalidate(tenantId);
  return row;
}

/**
 * Removes a key from the JWKS. A key that signed tokens that may still be valid (deactivated less than one
 * access-token lifetime ago) is refused unless forced; the active key cannot be retired, rotate first.
 */
export function retireSigningKey(deps: Deps, kid: string, actor: Actor, options: { force?: boolean } = {}): SigningKeyRow {
  const row = deps.sqlite.transaction(() => {
    const key = selectSigningKey(deps, kid);
    if (!key) throw notFound(`Signing key ${kid}`);
    if (key.status === 'retired') throw new AppError('conflict', `Signing key ${kid} is already retired`);
    if (key.status === 'active') {
      throw new AppError('conflict', `Signing key ${kid} is the active key; rotate first, then retire it`);
    }
    const deactivatedAt = key.deactivatedAt?.getTime() ?? key.createdAt.getTime();
    const safeAfter = deactivatedAt + deps.config.accessTokenTtl * 1000;
    if (!options.force && deps.clock.nowMs() < safeAfter) {
      throw new AppError(
        'conflict',
        `Signing key ${kid} may still have valid tokens until ${new Date(safeAfter).toISOString()}; use --force to retire it now`,
      );
    }
    const retiredAt = deps.clock.now();
    markKeyRetired(deps, kid, retiredAt);
    deps.audit.append(key.tenantId, {
      actor,
      type: 'key.retired',
      target: { type: 'signing_key', id: kid },
      payload: { forced: Boolean(options.force) && deps.clock.nowMs() < safeAfter },
    });
    return { ...key, status: 'retired' as const, retiredAt };
  })();
  deps.keyring.invalidate(row.tenantId);
  return row;
}

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface Jwks {
  keys: JWK[];
}

/**
 * Imported signing keys and JWKS per tenant, kept in memory (ARCHITECTURE rule 8). A rotation made by another
 * process on the same data dir is seen within a second.
 */
export interface SigningKeyring {
  active(tenantId: string): ActiveSigningKey;
  jwks(tenantId: string): Jwks;
  invalidate(tenantId?: string): void;
}

/** How often a cached tenant's key set is re-checked against the database (another process may rotate). */
const KEYRING_RECHECK_MS = 1_000;

export function createSigningKeyring(deps: Pick<Deps, 'statement' | 'clock' | 'masterKeys'>): SigningKeyring {
  const cache = new Map<string, { checkedAt: number; fingerprint: string; active: ActiveSigningKey | null; jwks: Jwks }>();

  const load = (tenantId: string) => {
    const now = deps.clock.nowMs();
    const hit = cache.get(tenantId);
    if (hit && now - hit.checkedAt < KEYRING_RECHECK_MS) return hit;
    // A cheap fingerprint read keeps the imported KeyObject until the key set really changes.
    const fingerprint = selectKeySetFingerprint(deps, tenantId);
    if (hit && hit.fingerprint === fingerprint) {
      hit.checkedAt = now;
      return hit;
    }
    const rows = selectPublishedKeys(deps, tenantId);
    const activeRow = rows.find((r) => r.status === 'active');
    const active = activeRow
      ? {
          kid: activeRow.kid,
          privateKey: createPrivateKey({
            key: decryptSecret(deps.masterKeys, activeRow.privateKeyEnc, aad(activeRow.kid), activeRow.masterKeyId),
            format: 'der',
            type: 'pkcs8',
          }),
        }
      : null;
    // Newest first, so verifiers that take the first match find the active key.
    const jwks = { keys: rows.reverse().map((r) => r.publicJwk as JWK) };
    const entry = { checkedAt: now, fingerprint, active, jwks };
    cache.set(tenantId, entry);
    return entry;
  };

  return {
    active(tenantId) {
      const entry = load(tenantId);
      if (!entry.active) throw new AppError('not_ready', 'No active signing key for this tenant');
      return entry.active;
    },
    jwks: (tenantId) => load(tenantId).jwks,
    invalidate(tenantId) {
      if (tenantId) cache.delete(tenantId);
      else cache.clear();
    },
  };
}
