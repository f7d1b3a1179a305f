import { createHmac } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { asc, eq, inArray } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { tenants } from '../tenants/tables.ts';
import { auditMessage, GENESIS_HMAC, type AuditEntry } from './audit-log.ts';
import { inlineHmacChecker, workerHmacChecker } from './hmac-checker.ts';
import { createHeadSignatureChecker, type HeadClaims } from './heads.ts';
import { auditHeads } from './tables.ts';

export type BreakKind = 'changed' | 'missing' | 'reordered' | 'truncated' | 'forged_head';

export interface ChainBreak {
  tenantId: string;
  slug: string;
  /** The first sequence number where the chain stops holding; for a forged head, the seq it claims (null if unreadable). */
  seq: number | null;
  kind: BreakKind;
  message: string;
}

export interface TenantVerification {
  tenantId: string;
  slug: string;
  entriesChecked: number;
  /** Entries whose HMAC does not match their content. */
  hmacFailures: number;
  /** Entries whose link to the previous entry, or whose position in the sequence, does not hold. */
  linkFailures: number;
  headsChecked: number;
  lastSeq: number;
  ok: boolean;
  firstBreak: ChainBreak | null;
  breaks: ChainBreak[];
}

export interface VerifyReport {
  ok: boolean;
  entriesChecked: number;
  headsChecked: number;
  tenants: TenantVerification[];
  /** Problems not tied to a tenant in this database (an external head naming an unknown tenant). */
  otherBreaks: ChainBreak[];
  firstBreak: ChainBreak | null;
}

export interface VerifyProgress {
  slug: string;
  tenantIndex: number;
  tenantCount: number;
  /** Over all tenants so far. */
  entriesChecked: number;
  totalEntries: number;
}

/** One line of an externally kept heads file (the jsonl that publishing writes), with where it came from. */
export interface ExternalHead {
  source: string;
  line: number;
  /** The parsed line; only its `jws` is trusted, and only after its signature verifies. */
  value: Partial<HeadClaims> & { jws?: unknown };
}

export interface VerifyOptions {
  /** Tenant ids to verify; all tenants when omitted. */
  tenantIds?: string[];
  externalHeads?: ExternalHead[];
  onProgress?(progress: VerifyProgress): void;
  /** Compute HMACs in a worker thread; by default only for chains of WORKER_THRESHOLD entries or more. */
  useWorker?: boolean;
}

/** Rows per read; between batches the event loop turns so a progress view can draw. */
const BATCH = 20_000;
const MAX_BREAKS_PER_TENANT = 100;
/** From this many entries on, HMACs are computed in a worker thread (its start-up is ~20 ms). */
const WORKER_THRESHOLD = 50_000;

/** Parses a heads jsonl file; blank lines are skipped, unreadable lines kept (they are reported as forged). */
export function parseHeadsFile(text: string, source: string): ExternalHead[] {
  const heads: ExternalHead[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: ExternalHead['value'];
    try {
      const parsed = JSON.parse(line);
      value = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      value = {};
    }
    heads.push({ source, line: i + 1, value });
  });
  return heads;
}

interface TrustedHead {
  seq: number;
  hmac: string;
  where: string;
}

/**
 * Walks every chain (or the chosen tenants'), recomputes each HMAC under the master key named by the
 * entry's key_id and each link, and checks every stored and every external head: its JWS against all the
 * tenant's public keys, its seq/hmac against the chain. Streaming, allocation-light: 1 M entries in a few
 * seconds (scripts/bench-audit.ts).
 */
export async function verifyAuditChains(deps: Deps, options: VerifyOptions = {}): Promise<VerifyReport> {
  const tenantRows = options.tenantIds
    ? deps.db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(inArray(tenants.id, options.tenantIds)).orderBy(asc(tenants.slug)).all()
    : deps.db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.slug)).all();
  const knownIds = new Set(
    (deps.db.select({ id: tenants.id }).from(tenants).all() as { id: string }[]).map((t) => t.id),
  );
  const headChecker = createHeadSignatureChecker(deps);
  // One derived key per master key id, not per row; rows name their key by index.
  const keyIds = [...deps.masterKeys.keys.keys()];
  const hmacKeys = keyIds.map((id) => deps.audit.hmacKey(id));
  const keyIndexes = new Map(keyIds.map((id, i) => [id, i]));
  const hmacKeyFor = (keyId: string): Buffer | undefined => hmacKeys[keyIndexes.get(keyId) ?? -1];

  const countEntries = deps.sqlite.prepare('SELECT count(*) FROM audit_entries WHERE tenant_id = ?').pluck();
  // SQLite builds each entry's message itself: json_array over the columns in the order auditMessage() covers
  // them serialises exactly as JSON.stringify does, so JavaScript touches five values per row and computes one
  // HMAC. A row whose HMAC does not match is re-serialised in JavaScript (auditMessage) before it is reported,
  // so a serialisation difference could never be mistaken for tampering.
  const batch = deps.sqlite
    .prepare(
      `SELECT seq, key_id, prev_hmac, hmac,
              json_array(tenant_id, seq, at, actor_type, actor_id, channel, event_type, target_type, target_id, payload,
                         key_id, prev_hmac)
         FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  const fullEntry = deps.sqlite.prepare(
    `SELECT tenant_id AS tenantId, seq, at, actor_type AS actorType, actor_id AS actorId, channel, event_type AS eventType,
            target_type AS targetType, target_id AS targetId, payload, key_id AS keyId, prev_hmac AS prevHmac, hmac
       FROM audit_entries WHERE tenant_id = ? AND seq = ?`,
  );
  const successorOf = deps.sqlite
    .prepare('SELECT seq FROM audit_entries WHERE tenant_id = ? AND prev_hmac = ? AND seq <> ? ORDER BY seq LIMIT 1')
    .pluck();

  const totalEntries = tenantRows.reduce((sum, t) => sum + (countEntries.get(t.id) as number), 0);
  const checker = (options.useWorker ?? totalEntries >= WORKER_THRESHOLD) ? workerHmacChecker(hmacKeys) : inlineHmacChecker(hmacKeys);
  try {
    return await walkChains();
  } finally {
    await checker.close();
  }

  async function walkChains(): Promise<VerifyReport> {
    const report: VerifyReport = { ok: true, entriesChecked: 0, headsChecked: 0, tenants: [], otherBreaks: [], firstBreak: null };

    const external = options.externalHeads ?? [];
    for (const head of external) {
      const tenantId = typeof head.value.tenant === 'string' ? head.value.tenant : undefined;
      if (options.tenantIds || (tenantId && knownIds.has(tenantId))) continue;
      report.headsChecked++;
      report.otherBreaks.push({
        tenantId: tenantId ?? '',
        slug: typeof head.value.slug === 'string' ? head.value.slug : '',
        seq: typeof head.value.seq === 'number' ? head.value.seq : null,
        kind: 'forged_head',
        message: `${head.source}:${head.line}: ${tenantId ? 'names a tenant that does not exist here' : 'is not a head'}`,
      });
    }

    for (const [tenantIndex, tenant] of tenantRows.entries()) {
      const result: TenantVerification = {
        tenantId: tenant.id,
        slug: tenant.slug,
        entriesChecked: 0,
        hmacFailures: 0,
        linkFailures: 0,
        headsChecked: 0,
        lastSeq: 0,
        ok: true,
        firstBreak: null,
        breaks: [],
      };
      const addBreak = (seq: number | null, kind: BreakKind, message: string) => {
        if (result.breaks.length < MAX_BREAKS_PER_TENANT) result.breaks.push({ tenantId: tenant.id, slug: tenant.slug, seq, kind, message });
      };

      // 1. Heads: only a head whose signature verifies says anything about the chain.
      const trusted: TrustedHead[] = [];
      const storedHeads = deps.db.select().from(auditHeads).where(eq(auditHeads.tenantId, tenant.id)).orderBy(asc(auditHeads.id)).all();
      for (const row of storedHeads) {
        const where = `head published ${new Date(row.publishedAt).toISOString()} (database)`;
        const check = await headChecker.check(row.jws, tenant.id);
        if (!check.ok) addBreak(row.seq, 'forged_head', `${where}: ${check.reason}`);
        else if (check.claims.seq !== row.seq || check.claims.hmac !== row.hmac) {
          addBreak(row.seq, 'forged_head', `${where}: stored seq/hmac differ from what the head's signature covers`);
        } else trusted.push({ seq: row.seq, hmac: row.hmac, where });
      }
      for (const head of external) {
        if (head.value.tenant !== tenant.id) continue;
        const claimedSeq = typeof head.value.seq === 'number' ? head.value.seq : null;
        const where = `${head.source}:${head.line}`;
        const check = typeof head.value.jws === 'string' ? await headChecker.check(head.value.jws, tenant.id) : { ok: false as const, reason: 'has no jws' };
        if (!check.ok) addBreak(claimedSeq, 'forged_head', `${where}: ${check.reason}`);
        else if (claimedSeq !== check.claims.seq || head.value.hmac !== check.claims.hmac) {
          addBreak(claimedSeq, 'forged_head', `${where}: seq/hmac differ from what the head's signature covers`);
        } else trusted.push({ seq: check.claims.seq, hmac: check.claims.hmac, where: `head published ${check.claims.publishedAt} (${where})` });
      }
      result.headsChecked = storedHeads.length + external.filter((h) => h.value.tenant === tenant.id).length;
      trusted.sort((a, b) => a.seq - b.seq);
      let headIndex = 0;
      for (; headIndex < trusted.length && trusted[headIndex].seq === 0; headIndex++) {
        if (trusted[headIndex].hmac !== GENESIS_HMAC) addBreak(0, 'changed', `${trusted[headIndex].where} names an empty chain with a non-genesis HMAC`);
      }

      // 2. The chain, in seq order. Positions, links and heads are checked here as rows arrive; HMACs are checked
      // by the checker (a worker thread on large chains) while the next batch is read.
      let expected = 1;
      let prev = GENESIS_HMAC;
      let firstLinkBreak: { seq: number; prevHmac: string; expectedPrev: string } | null = null;
      let firstHmacBreak: number | null = null;
      let afterSeq = 0;
      /** The slow, exact check: the stored row serialised by the same code that appended it. */
      const entryHolds = (seq: number, overrides: Partial<AuditEntry> = {}) => {
        const entry = fullEntry.get(tenant.id, seq) as AuditEntry | undefined;
        if (!entry) return false;
        const { hmac: _stored, ...unsigned } = { ...entry, ...overrides };
        const key = hmacKeyFor(unsigned.keyId);
        return key !== undefined && createHmac('sha256', key).update(auditMessage(unsigned)).digest('hex') === entry.hmac;
      };
      const hmacFailed = (seq: number) => {
        // The fast path's message comes from SQLite; confirm in JavaScript before calling it tampering.
        if (entryHolds(seq)) return;
        result.hmacFailures++;
        if (firstHmacBreak === null || seq < firstHmacBreak) firstHmacBreak = seq;
      };
      let hashing: Promise<void> = Promise.resolve();
      for (;;) {
        const rows = batch.all(tenant.id, afterSeq, BATCH) as Array<[number, string, string, string, string]>;
        const lines: string[] = [];
        const lineSeqs: number[] = [];
        for (const row of rows) {
          const seq = row[0];
          const hmac = row[3];
          if (seq !== expected) {
            result.linkFailures++;
            if (seq > expected) {
              addBreak(expected, 'missing', seq === expected + 1 ? `entry ${expected} is missing` : `entries ${expected}–${seq - 1} are missing`);
            } else addBreak(seq, 'reordered', `entry ${seq} appears again after entry ${expected - 1}`);
          } else if (row[2] !== prev) {
            result.linkFailures++;
            firstLinkBreak ??= { seq, prevHmac: row[2], expectedPrev: prev };
          }
          const keyIndex = keyIndexes.get(row[1]);
          if (keyIndex === undefined) hmacFailed(seq);
          else {
            lines.push(`${keyIndex}\t${hmac}\t${row[4]}`);
            lineSeqs.push(seq);
          }
          while (headIndex < trusted.length && trusted[headIndex].seq <= seq) {
            const head = trusted[headIndex++];
            if (head.seq === seq && head.hmac !== hmac) {
              addBreak(seq, 'changed', `entry ${seq} differs from the ${head.where}: the chain was rewritten after it`);
            }
          }
          prev = hmac;
          expected = seq + 1;
          result.lastSeq = seq;
        }
        const checked = checker.check(lines).then((bad) => bad.forEach((i) => hmacFailed(lineSeqs[i])));
        await hashing;
        hashing = checked;
        result.entriesChecked += rows.length;
        report.entriesChecked += rows.length;
        if (rows.length > 0) afterSeq = result.lastSeq;
        options.onProgress?.({ slug: tenant.slug, tenantIndex, tenantCount: tenantRows.length, entriesChecked: report.entriesChecked, totalEntries });
        if (rows.length < BATCH) break;
        await nextTurn();
      }
      await hashing;

      const firstBadSeq = Math.min(firstLinkBreak?.seq ?? Infinity, firstHmacBreak ?? Infinity);
      const firstBad = Number.isFinite(firstBadSeq)
        ? {
            seq: firstBadSeq,
            hmacOk: firstHmacBreak !== firstBadSeq,
            // A link that was not reported broken held.
            prevHmac: firstLinkBreak?.seq === firstBadSeq ? firstLinkBreak.prevHmac : '',
            expectedPrev: firstLinkBreak?.seq === firstBadSeq ? firstLinkBreak.expectedPrev : '',
          }
        : null;
      if (firstBad) {
        const { seq } = firstBad;
        if (firstBad.hmacOk) {
          // Intact entry, wrong predecessor: the entry before it was replaced or moved.
          const successor = successorOf.get(tenant.id, firstBad.expectedPrev, seq) as number | undefined;
          addBreak(seq, successor !== undefined ? 'reordered' : 'missing',
            successor !== undefined ? `entry ${seq} is out of place: the entry that followed ${seq - 1} is stored at ${successor}` : `the entry after ${seq - 1} is missing`);
        } else if (firstBad.prevHmac === firstBad.expectedPrev) {
          addBreak(seq, 'changed', result.hmacFailures === result.entriesChecked
            ? `no entry matches its HMAC under the master key: the chain was rewritten with a different key (first: entry ${seq})`
            : `entry ${seq} was changed: its HMAC does not match its content`);
        } else {
          const onlyLinkEdited = entryHolds(seq, { prevHmac: firstBad.expectedPrev });
          const successor = successorOf.get(tenant.id, firstBad.expectedPrev, seq) as number | undefined;
          if (onlyLinkEdited) addBreak(seq, 'changed', `entry ${seq} was changed: its link to entry ${seq - 1} was edited`);
          else if (successor !== undefined) addBreak(seq, 'reordered', `entries were reordered: entry ${seq} is out of place, the entry that followed ${seq - 1} is stored at ${successor}`);
          else addBreak(seq, 'missing', `the entry after ${seq - 1} is missing (later entries were renumbered)`);
        }
      }
      for (; headIndex < trusted.length; headIndex++) {
        const head = trusted[headIndex];
        if (head.seq > result.lastSeq) {
          addBreak(result.lastSeq + 1, 'truncated', `the chain ends at ${result.lastSeq}, but the ${head.where} names entry ${head.seq}: truncated after a published head`);
          break;
        }
      }

      result.breaks.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
      result.ok = result.breaks.length === 0;
      result.firstBreak = result.breaks[0] ?? null;
      report.headsChecked += result.headsChecked;
      report.tenants.push(result);
    }

    report.ok = report.tenants.every((t) => t.ok) && report.otherBreaks.length === 0;
    report.firstBreak = report.tenants.find((t) => t.firstBreak)?.firstBreak ?? report.otherBreaks[0] ?? null;
    return report;
  }
}
