import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { publicJwksOfTenant, SIGNING_ALG } from '../keys/signing-keys.ts';
import { listTenants } from '../tenants/tenants.ts';
import { GENESIS_HMAC } from './audit-log.ts';
import { insertAuditHead, selectChainLengths, selectHeadsSince, selectLastLink, selectNewestHeadTimes, selectNewestHeads } from './store.ts';
import type { AuditHeadRow } from './tables.ts';

/**
 * Chain heads. Publishing a head is deliberately NOT an audit entry: an hourly entry would move every chain
 * every hour, so a head could never show that a chain stood still, and the heads would mostly attest to
 * themselves. A head is its own signed, stored, exported record instead.
 */

export const HEADS_DIR = 'audit-heads';
/** The `typ` header of a head JWS, so a head can never be mistaken for (or replayed as) a token. */
export const HEAD_JWS_TYPE = 'kimauth-audit-head+jws';

/** What a head attests; the exact JSON that is signed. */
export interface HeadClaims {
  tenant: string;
  slug: string;
  seq: number;
  hmac: string;
  /** ISO 8601, UTC. */
  publishedAt: string;
}

/** One published head, as stored, served over HTTP and written one per line to `<slug>.jsonl`. */
export interface PublishedHead extends HeadClaims {
  kid: string;
  jws: string;
}

export function headsFilePath(dataDir: string, slug: string): string {
  return path.join(dataDir, HEADS_DIR, `${slug}.jsonl`);
}

export function headJson(row: AuditHeadRow, slug: string): PublishedHead {
  return {
    tenant: row.tenantId,
    slug,
    seq: row.seq,
    hmac: row.hmac,
    publishedAt: new Date(row.publishedAt).toISOString(),
    kid: row.kid,
    jws: row.jws,
  };
}

export interface PublishResult {
  published: PublishedHead[];
  /** Tenants whose head could not be signed (no active key…); the others are still published. */
  failed: Array<{ slug: string; error: string }>;
}

/**
 * Publishes the current head of every tenant's chain (or one tenant's): signs it with the tenant's active
 * key, stores it and appends it to `<data-dir>/audit-heads/<slug>.jsonl`. A chain that did not move still
 * gets a new head, so silence is visible. The hourly job and `audit heads publish` both call this.
 */
export async function publishAuditHeads(deps: Deps, options: { tenantId?: string } = {}): Promise<PublishResult> {
  const targets = tenantsBySlug(deps).filter((t) => !options.tenantId || t.id === options.tenantId);
  if (options.tenantId && targets.length === 0) throw notFound('Tenant');
  const publishedAt = deps.clock.nowMs();

  const signed: Array<{ row: Omit<AuditHeadRow, 'id'>; slug: string }> = [];
  const failed: PublishResult['failed'] = [];
  for (const tenant of targets) {
    try {
      const last = selectLastLink(deps, tenant.id);
      const claims: HeadClaims = {
        tenant: tenant.id,
        slug: tenant.slug,
        seq: last?.seq ?? 0,
        hmac: last?.hmac ?? GENESIS_HMAC,
        publishedAt: new Date(publishedAt).toISOString(),
      };
      const key = deps.keyring.active(tenant.id);
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: HEAD_JWS_TYPE })
        .sign(key.privateKey);
      signed.push({ slug: tenant.slug, row: { tenantId: tenant.id, seq: claims.seq, hmac: claims.hmac, publishedAt, kid: key.kid, jws } });
    } catch (err) {
      failed.push({ slug: tenant.slug, error: (err as Error).message });
    }
  }

  const published = deps.sqlite.transaction(() =>
    signed.map(({ row, slug }) => {
      const id = insertAuditHead(deps, row);
      return headJson({ ...row, id }, slug);
    }),
  )();

  // The files are written after the commit: a head in a file always exists in the database too.
  const dir = path.join(deps.config.dataDir, HEADS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const head of published) appendFileSync(headsFilePath(deps.config.dataDir, head.slug), JSON.stringify(head) + '\n');
  return { published, failed };
}

export function latestAuditHead(deps: Deps, tenantId: string): AuditHeadRow | undefined {
  return selectNewestHeads(deps, tenantId, 1)[0];
}

/** Heads published after `sinceMs` (exclusive), oldest first. */
export function listAuditHeads(deps: Deps, tenantId: string, options: { sinceMs?: number; limit?: number } = {}): AuditHeadRow[] {
  return selectHeadsSince(deps, tenantId, options.sinceMs, options.limit ?? 1000);
}

/** The newest `limit` heads, newest last (what `audit heads list` shows). */
export function recentAuditHeads(deps: Deps, tenantId: string, limit: number): AuditHeadRow[] {
  return selectNewestHeads(deps, tenantId, limit).reverse();
}

/** Every tenant (id and slug) in slug order: the order heads are published and chains verified in. */
export function tenantsBySlug(deps: Deps): Array<{ id: string; slug: string }> {
  return listTenants(deps)
    .map((t) => ({ id: t.id, slug: t.slug }))
    .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

/** Each tenant's chain length (its last seq), by slug; tenants with an empty chain read 0 (for metrics). */
export function auditChainLengths(deps: Deps): Array<{ slug: string; length: number }> {
  const lengths = selectChainLengths(deps);
  return tenantsBySlug(deps).map((t) => ({ slug: t.slug, length: lengths.get(t.id) ?? 0 }));
}

/** Each tenant's newest published head (ms since the epoch), by slug; tenants without one left out (for metrics). */
export function lastHeadsPublished(deps: Deps): Array<{ slug: string; publishedAt: number }> {
  const times = selectNewestHeadTimes(deps);
  return tenantsBySlug(deps).flatMap((t) => (times.has(t.id) ? [{ slug: t.slug, publishedAt: times.get(t.id)! }] : []));
}

export type HeadCheck = { ok: true; claims: HeadClaims } | { ok: false; reason: string };

/**
 * Checks a head's JWS against every public key the tenant ever had (active, rotated and retired: an old head
 * stays checkable after its key left the JWKS) and returns the signed claims.
 */
export interface HeadSignatureChecker {
  check(jws: string, tenantId: string): Promise<HeadCheck>;
}

export function createHeadSignatureChecker(deps: Deps): HeadSignatureChecker {
  const keysByTenant = new Map<string, Map<string, JWK>>();
  const imported = new Map<string, CryptoKey | Uint8Array>();
  const publicJwks = (tenantId: string) => {
    let keys = keysByTenant.get(tenantId);
    if (!keys) {
      keys = new Map(publicJwksOfTenant(deps, tenantId).map((r) => [r.kid, r.publicJwk]));
      keysByTenant.set(tenantId, keys);
    }
    return keys;
  };
  return {
    async check(jws, tenantId) {
      let result;
      try {
        result = await compactVerify(jws, async (header) => {
          if (header.alg !== SIGNING_ALG) throw new Error(`unexpected alg ${header.alg}`);
          if (header.typ !== HEAD_JWS_TYPE) throw new Error('not a head JWS');
          const jwk = header.kid ? publicJwks(tenantId).get(header.kid) : undefined;
          if (!jwk) throw new Error(`key ${header.kid ?? '(none)'} is not one of this tenant's keys`);
          let key = imported.get(header.kid!);
          if (!key) {
            key = await importJWK(jwk, SIGNING_ALG);
            imported.set(header.kid!, key);
          }
          return key;
        });
      } catch (err) {
        return { ok: false, reason: `signature does not verify (${(err as Error).message})` };
      }
      try {
        const claims = JSON.parse(new TextDecoder().decode(result.payload)) as HeadClaims;
        if (claims.tenant !== tenantId) return { ok: false, reason: `signed for another tenant (${claims.tenant})` };
        if (!Number.isInteger(claims.seq) || claims.seq < 0 || typeof claims.hmac !== 'string') {
          return { ok: false, reason: 'signed payload is not a head' };
        }
        return { ok: true, claims };
      } catch {
        return { ok: false, reason: 'signed payload is not JSON' };
      }
    },
  };
}
