import { createHmac } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Deps } from '../app/deps.ts';
import { auditMessage, GENESIS_HMAC, type AuditEntry } from './audit-log.ts';
import { inlineHmacChecker, workerHmacChecker, type HmacBatchChecker } from './hmac-checker.ts';
import { createHeadSignatureChecker, tenantsBySlug, type HeadClaims, type HeadSignatureChecker } from './heads.ts';
import { countChainEntries, selectChainBatch, selectChainEntry, selectHeadsOfTenant, selectSuccessorSeq, type ChainBatchRow } from './store.ts';

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

/** What one verify run shares across tenants. */
interface VerifyRun {
  deps: Deps;
  options: VerifyOptions;
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

/** One tenant's verification as it goes: the result being filled in and what the steps hand each other. */
interface TenantWalk {
  run: VerifyRun;
  tenant: Tenant;
  tenantIndex: number;
  result: TenantVerification;
  /** Heads whose signature verifies, by seq; `headIndex` is the first not yet compared with the chain. */
  trusted: TrustedHead[];
  headIndex: number;
  /** The lowest seq whose HMAC does not match its content (confirmed in JavaScript). */
  firstHmacBreak: number | null;
  /** The first entry whose link to its predecessor does not hold, and the link it should have had. */
  firstLinkBreak: { seq: number; prevHmac: string; expectedPrev: string } | null;
}

/**
 * Walks every chain (or the chosen tenants'), recomputes each HMAC under the master key named by the entry's
 * key_id and each link, and checks every stored and every external head: its JWS against all the tenant's
 * public keys, its seq/hmac against the chain. Streams in batches; on large chains the HMACs are computed in a
 * worker thread while the next batch is read (scripts/bench-audit.ts measures it).
 */
export async function verifyAuditChains(deps: Deps, options: VerifyOptions = {}): Promise<VerifyReport> {
  const allTenants = tenantsBySlug(deps);
  const chosen = options.tenantIds ? allTenants.filter((t) => options.tenantIds!.includes(t.id)) : allTenants;
  const keyIds = [...deps.masterKeys.keys.keys()];
  const hmacKeys = keyIds.map((id) => deps.audit.hmacKey(id));
  const totalEntries = chosen.reduce((sum, t) => sum + countChainEntries(deps, t.id), 0);
  const run: VerifyRun = {
    deps,
    options,
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

/** One tenant's chain, in five steps: heads, entries, the first break named, truncation, the verdict. */
async function verifyTenantChain(run: VerifyRun, tenant: Tenant, tenantIndex: number): Promise<TenantVerification> {
  const walk = startWalk(run, tenant, tenantIndex);
  await checkHeads(walk);
  await checkEntries(walk);
  nameFirstBreak(walk);
  checkTruncation(walk);
  return verdict(walk);
}

function startWalk(run: VerifyRun, tenant: Tenant, tenantIndex: number): TenantWalk {
  return {
    run,
    tenant,
    tenantIndex,
    result: {
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
    },
    trusted: [],
    headIndex: 0,
    firstHmacBreak: null,
    firstLinkBreak: null,
  };
}

function addBreak(walk: TenantWalk, seq: number | null, kind: BreakKind, message: string): void {
  const { result, tenant } = walk;
  if (result.breaks.length < MAX_BREAKS_PER_TENANT) result.breaks.push({ tenantId: tenant.id, slug: tenant.slug, seq, kind, message });
}

/** Step 1, heads: only a head whose signature verifies says anything about the chain. Heads of the empty chain are checked here. */
async function checkHeads(walk: TenantWalk): Promise<void> {
  const { trusted, checked } = await trustedHeadsOf(walk);
  walk.trusted = trusted;
  walk.result.headsChecked = checked;
  for (; walk.headIndex < trusted.length && trusted[walk.headIndex].seq === 0; walk.headIndex++) {
    if (trusted[walk.headIndex].hmac !== GENESIS_HMAC) addBreak(walk, 0, 'changed', `${trusted[walk.headIndex].where} names an empty chain with a non-genesis HMAC`);
  }
}

/** The heads (stored and external) whose signature verifies, sorted by seq; the others are reported as forged. */
async function trustedHeadsOf(walk: TenantWalk): Promise<{ trusted: TrustedHead[]; checked: number }> {
  const { run, tenant } = walk;
  const trusted: TrustedHead[] = [];
  const stored = selectHeadsOfTenant(run.deps, tenant.id);
  for (const row of stored) {
    const where = `head published ${new Date(row.publishedAt).toISOString()} (database)`;
    const check = await run.headChecker.check(row.jws, tenant.id);
    if (!check.ok) addBreak(walk, row.seq, 'forged_head', `${where}: ${check.reason}`);
    else if (check.claims.seq !== row.seq || check.claims.hmac !== row.hmac) {
      addBreak(walk, row.seq, 'forged_head', `${where}: stored seq/hmac differ from what the head's signature covers`);
    } else trusted.push({ seq: row.seq, hmac: row.hmac, where });
  }
  const external = (run.options.externalHeads ?? []).filter((h) => h.value.tenant === tenant.id);
  for (const head of external) {
    const claimedSeq = typeof head.value.seq === 'number' ? head.value.seq : null;
    const where = `${head.source}:${head.line}`;
    const check = typeof head.value.jws === 'string'
      ? await run.headChecker.check(head.value.jws, tenant.id)
      : { ok: false as const, reason: 'has no jws' };
    if (!check.ok) addBreak(walk, claimedSeq, 'forged_head', `${where}: ${check.reason}`);
    else if (claimedSeq !== check.claims.seq || head.value.hmac !== check.claims.hmac) {
      addBreak(walk, claimedSeq, 'forged_head', `${where}: seq/hmac differ from what the head's signature covers`);
    } else trusted.push({ seq: check.claims.seq, hmac: check.claims.hmac, where: `head published ${check.claims.publishedAt} (${where})` });
  }
  trusted.sort((a, b) => a.seq - b.seq);
  return { trusted, checked: stored.length + external.length };
}

/**
 * Step 2, the chain in seq order. Positions, links and heads are checked here as rows arrive; HMACs are checked
 * by the HMAC checker (a worker thread on large chains) while the next batch is read.
 */
async function checkEntries(walk: TenantWalk): Promise<void> {
  const { run, tenant, result } = walk;
  const link = { expected: 1, prev: GENESIS_HMAC };
  let hashing: Promise<void> = Promise.resolve();
  for (;;) {
    const rows = selectChainBatch(run.deps, tenant.id, result.lastSeq, BATCH);
    const lines: string[] = [];
    const lineSeqs: number[] = [];
    for (const row of rows) {
      const line = checkRow(walk, link, row);
      if (line !== null) {
        lines.push(line);
        lineSeqs.push(row[0]);
      }
    }
    const hashed = run.hmacChecker.check(lines).then((bad) => bad.forEach((i) => hmacFailed(walk, lineSeqs[i])));
    await hashing;
    hashing = hashed;
    result.entriesChecked += rows.length;
    run.entriesChecked += rows.length;
    run.options.onProgress?.({
      slug: tenant.slug,
      tenantIndex: walk.tenantIndex,
      tenantCount: run.tenantCount,
      entriesChecked: run.entriesChecked,
      totalEntries: run.totalEntries,
    });
    if (rows.length < BATCH) break;
    await nextTurn();
  }
  await hashing;
}

/**
 * One row of the chain: its position, its link and the trusted heads at its seq. Answers the line the HMAC checker
 * checks (`keyIndex \t hmac \t message`), or null when the row names a master key this instance does not have.
 */
function checkRow(walk: TenantWalk, link: { expected: number; prev: string }, [seq, keyId, prevHmac, hmac, message]: ChainBatchRow): string | null {
  const { result, trusted } = walk;
  // Rows arrive in increasing seq (the unique index on tenant_id, seq allows one row per seq), so a seq
  // other than the expected one is a gap.
  if (seq !== link.expected) {
    result.linkFailures++;
    const expected = link.expected;
    addBreak(walk, expected, 'missing', seq === expected + 1 ? `entry ${expected} is missing` : `entries ${expected}–${seq - 1} are missing`);
  } else if (prevHmac !== link.prev) {
    result.linkFailures++;
    walk.firstLinkBreak ??= { seq, prevHmac, expectedPrev: link.prev };
  }
  const keyIndex = walk.run.keyIndexes.get(keyId);
  if (keyIndex === undefined) hmacFailed(walk, seq);
  for (; walk.headIndex < trusted.length && trusted[walk.headIndex].seq <= seq; walk.headIndex++) {
    const head = trusted[walk.headIndex];
    if (head.seq === seq && head.hmac !== hmac) {
      addBreak(walk, seq, 'changed', `entry ${seq} differs from the ${head.where}: the chain was rewritten after it`);
    }
  }
  link.prev = hmac;
  link.expected = seq + 1;
  result.lastSeq = seq;
  return keyIndex === undefined ? null : `${keyIndex}\t${hmac}\t${message}`;
}

/** The slow, exact check: the stored row serialised by the same code that appended it. */
function entryHolds(walk: TenantWalk, seq: number, overrides: Partial<AuditEntry> = {}): boolean {
  const { run, tenant } = walk;
  const entry = selectChainEntry(run.deps, tenant.id, seq);
  if (!entry) return false;
  const { hmac: _stored, ...unsigned } = { ...entry, ...overrides };
  const key = run.hmacKeys[run.keyIndexes.get(unsigned.keyId) ?? -1];
  return key !== undefined && createHmac('sha256', key).update(auditMessage(unsigned)).digest('hex') === entry.hmac;
}

function hmacFailed(walk: TenantWalk, seq: number): void {
  // The fast path's message comes from SQLite; confirm in JavaScript before calling it tampering.
  if (entryHolds(walk, seq)) return;
  walk.result.hmacFailures++;
  if (walk.firstHmacBreak === null || seq < walk.firstHmacBreak) walk.firstHmacBreak = seq;
}

/** Step 3: name the first broken entry: changed, missing or reordered. */
function nameFirstBreak(walk: TenantWalk): void {
  const { run, tenant, result, firstLinkBreak, firstHmacBreak } = walk;
  const seq = Math.min(firstLinkBreak?.seq ?? Infinity, firstHmacBreak ?? Infinity);
  if (!Number.isFinite(seq)) return;
  const linkBroken = firstLinkBreak?.seq === seq;
  const expectedPrev = firstLinkBreak?.expectedPrev ?? '';
  const successorSeq = () => selectSuccessorSeq(run.deps, tenant.id, expectedPrev, seq);
  if (firstHmacBreak !== seq) {
    // Intact entry, wrong predecessor: the entry before it was replaced or moved.
    const successor = successorSeq();
    if (successor !== undefined) addBreak(walk, seq, 'reordered', `entry ${seq} is out of place: the entry that followed ${seq - 1} is stored at ${successor}`);
    else addBreak(walk, seq, 'missing', `the entry after ${seq - 1} is missing`);
  } else if (!linkBroken) {
    addBreak(walk, seq, 'changed', result.hmacFailures === result.entriesChecked
      ? `no entry matches its HMAC under the master key: the chain was rewritten with a different key (first: entry ${seq})`
      : `entry ${seq} was changed: its HMAC does not match its content`);
  } else if (entryHolds(walk, seq, { prevHmac: expectedPrev })) {
    addBreak(walk, seq, 'changed', `entry ${seq} was changed: its link to entry ${seq - 1} was edited`);
  } else {
    const successor = successorSeq();
    if (successor !== undefined) addBreak(walk, seq, 'reordered', `entries were reordered: entry ${seq} is out of place, the entry that followed ${seq - 1} is stored at ${successor}`);
    else addBreak(walk, seq, 'missing', `the entry after ${seq - 1} is missing (later entries were renumbered)`);
  }
}

/** Step 4: a head beyond the end of the chain means entries were cut off after it was published. */
function checkTruncation(walk: TenantWalk): void {
  const { result } = walk;
  const beyond = walk.trusted.slice(walk.headIndex).find((head) => head.seq > result.lastSeq);
  if (beyond) {
    addBreak(walk, result.lastSeq + 1, 'truncated', `the chain ends at ${result.lastSeq}, but the ${beyond.where} names entry ${beyond.seq}: truncated after a published head`);
  }
}

/** Step 5: breaks in chain order; the tenant holds when there is none. */
function verdict(walk: TenantWalk): TenantVerification {
  const { result } = walk;
  result.breaks.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  result.ok = result.breaks.length === 0;
  result.firstBreak = result.breaks[0] ?? null;
  return result;
}
