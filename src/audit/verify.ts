import { createHmac } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { asc, eq } from 'drizzle-orm';
import type { Deps } from '../app/deps.ts';
import { tenants } from '../tenants/tables.ts';
import { auditMessage, GENESIS_HMAC, type AuditEntry } from './audit-log.ts';
import { inlineHmacChecker, workerHmacChecker, type HmacBatchChecker } from './hmac-checker.ts';
import { createHeadSignatureChecker, type HeadClaims, type HeadSignatureChecker } from './heads.ts';
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

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(deps: Deps) {
  return {
    countEntries: deps.sqlite.prepare('SELECT count(*) FROM audit_entries WHERE tenant_id = ?').pluck(),
    // SQLite builds each entry's message itself: json_array over the columns in the order auditMessage()
    // covers them serialises exactly as JSON.stringify does, so JavaScript touches five values per row and
    // computes one HMAC. A row whose HMAC does not match is re-serialised in JavaScript (auditMessage) before
    // it is reported, so a serialisation difference could never be mistaken for tampering.
    batch: deps.sqlite
      .prepare(
        `SELECT seq, key_id, prev_hmac, hmac,
                json_array(tenant_id, seq, at, actor_type, actor_id, channel, event_type, target_type, target_id,
                           payload, key_id, prev_hmac)
           FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .raw(),
    fullEntry: deps.sqlite.prepare(
      `SELECT tenant_id AS tenantId, seq, at, actor_type AS actorType, actor_id AS actorId, channel,
              event_type AS eventType, target_type AS targetType, target_id AS targetId, payload, key_id AS keyId,
              prev_hmac AS prevHmac, hmac
         FROM audit_entries WHERE tenant_id = ? AND seq = ?`,
    ),
    successorOf: deps.sqlite
      .prepare('SELECT seq FROM audit_entries WHERE tenant_id = ? AND prev_hmac = ? AND seq <> ? ORDER BY seq LIMIT 1')
      .pluck(),
  };
}

/** What one verify run shares across tenants. */
interface VerifyRun {
  deps: Deps;
  options: VerifyOptions;
  sql: Statements;
  headChecker: HeadSignatureChecker;
  hmacChecker: HmacBatchChecker;
  /** One derived key per master key id, not per row; rows name their key by index. */
  hmacKeys: Buffer[];
  keyIndexes: Map<string, number>;
  tenantCount: number;
  totalEntries: number;
  /** Over all tenants so far, for progress. */
  entriesChecked: number;
}

type Tenant = { id: string; slug: string };
type AddBreak = (seq: number | null, kind: BreakKind, message: string) => void;

/**
 * Walks every chain (or the chosen tenants'), recomputes each HMAC under the master key named by the entry's
 * key_id and each link, and checks every stored and every external head: its JWS against all the tenant's
 * public keys, its seq/hmac against the chain. Streams in batches; on large chains the HMACs are computed in a
 * worker thread while the next batch is read (scripts/bench-audit.ts measures it).
 */
export async function verifyAuditChains(deps: Deps, options: VerifyOptions = {}): Promise<VerifyReport> {
  const allTenants = deps.db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.slug)).all();
  const chosen = options.tenantIds ? allTenants.filter((t) => options.tenantIds!.includes(t.id)) : allTenants;
  const sql = prepareStatements(deps);
  const keyIds = [...deps.masterKeys.keys.keys()];
  const hmacKeys = keyIds.map((id) => deps.audit.hmacKey(id));
  const totalEntries = chosen.reduce((sum, t) => sum + (sql.countEntries.get(t.id) as number), 0);
  const run: VerifyRun = {
    deps,
    options,
    sql,
    headChecker: createHeadSignatureChecker(deps),
    hmacChecker: (options.useWorker ?? totalEntries >= WORKER_THRESHOLD) ? workerHmacChecker(hmacKeys) : inlineHmacChecker(hmacKeys),
    hmacKeys,
    keyIndexes: new Map(keyIds.map((id, i) => [id, i])),
    tenantCount: chosen.length,
    totalEntries,
    entriesChecked: 0,
  };

  const report: VerifyReport = { ok: true, entriesChecked: 0, headsChecked: 0, tenants: [], otherBreaks: [], firstBreak: null };
  if (!options.tenantIds) report.otherBreaks = headsOfUnknownTenants(options.externalHeads ?? [], new Set(allTenants.map((t) => t.id)));
  report.headsChecked += report.otherBreaks.length;
  try {
    for (const [index, tenant] of chosen.entries()) {
      const result = await verifyTenantChain(run, tenant, index);
      report.entriesChecked += result.entriesChecked;
      report.headsChecked += result.headsChecked;
      report.tenants.push(result);
    }
  } finally {
    await run.hmacChecker.close();
  }
  report.ok = report.tenants.every((t) => t.ok) && report.otherBreaks.length === 0;
  report.firstBreak = report.tenants.find((t) => t.firstBreak)?.firstBreak ?? report.otherBreaks[0] ?? null;
  return report;
}

function headsOfUnknownTenants(external: ExternalHead[], knownIds: Set<string>): ChainBreak[] {
  return external
    .filter((head) => !(typeof head.value.tenant === 'string' && knownIds.has(head.value.tenant)))
    .map((head) => {
      const tenantId = typeof head.value.tenant === 'string' ? head.value.tenant : '';
      return {
        tenantId,
        slug: typeof head.value.slug === 'string' ? head.value.slug : '',
        seq: typeof head.value.seq === 'number' ? head.value.seq : null,
        kind: 'forged_head' as const,
        message: `${head.source}:${head.line}: ${tenantId ? 'names a tenant that does not exist here' : 'is not a head'}`,
      };
    });
}

/** The heads (stored and external) whose signature verifies, sorted by seq; the others are reported as forged. */
async function trustedHeadsOf(run: VerifyRun, tenant: Tenant, addBreak: AddBreak): Promise<{ trusted: TrustedHead[]; checked: number }> {
  const trusted: TrustedHead[] = [];
  const stored = run.deps.db.select().from(auditHeads).where(eq(auditHeads.tenantId, tenant.id)).orderBy(asc(auditHeads.id)).all();
  for (const row of stored) {
    const where = `head published ${new Date(row.publishedAt).toISOString()} (database)`;
    const check = await run.headChecker.check(row.jws, tenant.id);
    if (!check.ok) addBreak(row.seq, 'forged_head', `${where}: ${check.reason}`);
    else if (check.claims.seq !== row.seq || check.claims.hmac !== row.hmac) {
      addBreak(row.seq, 'forged_head', `${where}: stored seq/hmac differ from what the head's signature covers`);
    } else trusted.push({ seq: row.seq, hmac: row.hmac, where });
  }
  const external = (run.options.externalHeads ?? []).filter((h) => h.value.tenant === tenant.id);
  for (const head of external) {
    const claimedSeq = typeof head.value.seq === 'number' ? head.value.seq : null;
    const where = `${head.source}:${head.line}`;
    const check = typeof head.value.jws === 'string'
      ? await run.headChecker.check(head.value.jws, tenant.id)
      : { ok: false as const, reason: 'has no jws' };
    if (!check.ok) addBreak(claimedSeq, 'forged_head', `${where}: ${check.reason}`);
    else if (claimedSeq !== check.claims.seq || head.value.hmac !== check.claims.hmac) {
      addBreak(claimedSeq, 'forged_head', `${where}: seq/hmac differ from what the head's signature covers`);
    } else trusted.push({ seq: check.claims.seq, hmac: check.claims.hmac, where: `head published ${check.claims.publishedAt} (${where})` });
  }
  trusted.sort((a, b) => a.seq - b.seq);
  return { trusted, checked: stored.length + external.length };
}

async function verifyTenantChain(run: VerifyRun, tenant: Tenant, tenantIndex: number): Promise<TenantVerification> {
  const { sql } = run;
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
  const addBreak: AddBreak = (seq, kind, message) => {
    if (result.breaks.length < MAX_BREAKS_PER_TENANT) result.breaks.push({ tenantId: tenant.id, slug: tenant.slug, seq, kind, message });
  };

  // 1. Heads: only a head whose signature verifies says anything about the chain.
  const { trusted, checked } = await trustedHeadsOf(run, tenant, addBreak);
  result.headsChecked = checked;
  let headIndex = 0;
  for (; headIndex < trusted.length && trusted[headIndex].seq === 0; headIndex++) {
    if (trusted[headIndex].hmac !== GENESIS_HMAC) addBreak(0, 'changed', `${trusted[headIndex].where} names an empty chain with a non-genesis HMAC`);
  }

  // 2. The chain, in seq order. Positions, links and heads are checked here as rows arrive; HMACs are checked
  // by the HMAC checker (a worker thread on large chains) while the next batch is read.
  /** The slow, exact check: the stored row serialised by the same code that appended it. */
  const entryHolds = (seq: number, overrides: Partial<AuditEntry> = {}) => {
    const entry = sql.fullEntry.get(tenant.id, seq) as AuditEntry | undefined;
    if (!entry) return false;
    const { hmac: _stored, ...unsigned } = { ...entry, ...overrides };
    const key = run.hmacKeys[run.keyIndexes.get(unsigned.keyId) ?? -1];
    return key !== undefined && createHmac('sha256', key).update(auditMessage(unsigned)).digest('hex') === entry.hmac;
  };
  let firstHmacBreak: number | null = null;
  const hmacFailed = (seq: number) => {
    // The fast path's message comes from SQLite; confirm in JavaScript before calling it tampering.
    if (entryHolds(seq)) return;
    result.hmacFailures++;
    if (firstHmacBreak === null || seq < firstHmacBreak) firstHmacBreak = seq;
  };
  let firstLinkBreak: { seq: number; prevHmac: string; expectedPrev: string } | null = null;
  let expected = 1;
  let prev = GENESIS_HMAC;
  let hashing: Promise<void> = Promise.resolve();
  for (;;) {
    const rows = sql.batch.all(tenant.id, result.lastSeq, BATCH) as Array<[seq: number, keyId: string, prevHmac: string, hmac: string, message: string]>;
    const lines: string[] = [];
    const lineSeqs: number[] = [];
    for (const [seq, keyId, prevHmac, hmac, message] of rows) {
      // Rows arrive in increasing seq (the unique index on tenant_id, seq allows one row per seq), so a seq
      // other than the expected one is a gap.
      if (seq !== expected) {
        result.linkFailures++;
        addBreak(expected, 'missing', seq === expected + 1 ? `entry ${expected} is missing` : `entries ${expected}–${seq - 1} are missing`);
      } else if (prevHmac !== prev) {
        result.linkFailures++;
        firstLinkBreak ??= { seq, prevHmac, expectedPrev: prev };
      }
      const keyIndex = run.keyIndexes.get(keyId);
      if (keyIndex === undefined) hmacFailed(seq);
      else {
        lines.push(`${keyIndex}\t${hmac}\t${message}`);
        lineSeqs.push(seq);
      }
      for (; headIndex < trusted.length && trusted[headIndex].seq <= seq; headIndex++) {
        const head = trusted[headIndex];
        if (head.seq === seq && head.hmac !== hmac) {
          addBreak(seq, 'changed', `entry ${seq} differs from the ${head.where}: the chain was rewritten after it`);
        }
      }
      prev = hmac;
      expected = seq + 1;
      result.lastSeq = seq;
    }
    const hashed = run.hmacChecker.check(lines).then((bad) => bad.forEach((i) => hmacFailed(lineSeqs[i])));
    await hashing;
    hashing = hashed;
    result.entriesChecked += rows.length;
    run.entriesChecked += rows.length;
    run.options.onProgress?.({
      slug: tenant.slug,
      tenantIndex,
      tenantCount: run.tenantCount,
      entriesChecked: run.entriesChecked,
      totalEntries: run.totalEntries,
    });
    if (rows.length < BATCH) break;
    await nextTurn();
  }
  await hashing;

  // 3. Name the first broken entry: changed, missing or reordered.
  const firstBadSeq = Math.min(firstLinkBreak?.seq ?? Infinity, firstHmacBreak ?? Infinity);
  if (Number.isFinite(firstBadSeq)) {
    const seq = firstBadSeq;
    const linkBroken = firstLinkBreak?.seq === seq;
    const expectedPrev = firstLinkBreak?.expectedPrev ?? '';
    if (firstHmacBreak !== seq) {
      // Intact entry, wrong predecessor: the entry before it was replaced or moved.
      const successor = sql.successorOf.get(tenant.id, expectedPrev, seq) as number | undefined;
      if (successor !== undefined) addBreak(seq, 'reordered', `entry ${seq} is out of place: the entry that followed ${seq - 1} is stored at ${successor}`);
      else addBreak(seq, 'missing', `the entry after ${seq - 1} is missing`);
    } else if (!linkBroken) {
      addBreak(seq, 'changed', result.hmacFailures === result.entriesChecked
        ? `no entry matches its HMAC under the master key: the chain was rewritten with a different key (first: entry ${seq})`
        : `entry ${seq} was changed: its HMAC does not match its content`);
    } else if (entryHolds(seq, { prevHmac: expectedPrev })) {
      addBreak(seq, 'changed', `entry ${seq} was changed: its link to entry ${seq - 1} was edited`);
    } else {
      const successor = sql.successorOf.get(tenant.id, expectedPrev, seq) as number | undefined;
      if (successor !== undefined) addBreak(seq, 'reordered', `entries were reordered: entry ${seq} is out of place, the entry that followed ${seq - 1} is stored at ${successor}`);
      else addBreak(seq, 'missing', `the entry after ${seq - 1} is missing (later entries were renumbered)`);
    }
  }

  // 4. A head beyond the end of the chain: entries were cut off after it was published.
  const beyond = trusted.slice(headIndex).find((head) => head.seq > result.lastSeq);
  if (beyond) {
    addBreak(result.lastSeq + 1, 'truncated', `the chain ends at ${result.lastSeq}, but the ${beyond.where} names entry ${beyond.seq}: truncated after a published head`);
  }

  result.breaks.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  result.ok = result.breaks.length === 0;
  result.firstBreak = result.breaks[0] ?? null;
  return result;
}
