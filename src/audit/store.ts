import type { Deps } from '../app/deps.ts';
import type { AuditEntry } from './audit-log.ts';
import type { AuditHeadRow } from './tables.ts';

/**
 * Every statement on the audit tables (audit_entries, audit_heads). The rules stay in the services (audit-log.ts
 * appends, heads.ts publishes, verify.ts checks, entries.ts lists); other contexts ask those services instead of
 * reading the tables. Statements are prepared once per Deps through deps.statement.
 */
type Statements = Pick<Deps, 'statement'>;

// ——— audit_entries: the chain ———

/** The last link of a tenant's chain, or undefined while it is empty. Runs inside every audited transaction. */
export function selectLastLink(deps: Statements, tenantId: string): { seq: number; hmac: string } | undefined {
  const row = deps
    .statement('SELECT seq, hmac FROM audit_entries WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1')
    .raw()
    .get(tenantId) as [number, string] | undefined;
  return row ? { seq: row[0], hmac: row[1] } : undefined;
}

export function insertAuditEntry(deps: Statements, e: AuditEntry): void {
  deps
    .statement(
      `INSERT INTO audit_entries (tenant_id, seq, at, actor_type, actor_id, channel, event_type, target_type,
         target_id, payload, key_id, prev_hmac, hmac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(e.tenantId, e.seq, e.at, e.actorType, e.actorId, e.channel, e.eventType, e.targetType, e.targetId, e.payload, e.keyId, e.prevHmac, e.hmac);
}

export function countChainEntries(deps: Statements, tenantId: string): number {
  return deps.statement('SELECT count(*) FROM audit_entries WHERE tenant_id = ?').pluck().get(tenantId) as number;
}

/** One batch row of `audit verify`'s fast path: seq, key id, links, and the message SQLite serialised. */
export type ChainBatchRow = [seq: number, keyId: string, prevHmac: string, hmac: string, message: string];

/**
 * The next `limit` entries after `afterSeq`, in seq order. SQLite builds each entry's message itself: json_array
 * over the columns in the order auditMessage() covers them serialises exactly as JSON.stringify does, so
 * JavaScript touches five values per row and computes one HMAC.
 */
export function selectChainBatch(deps: Statements, tenantId: string, afterSeq: number, limit: number): ChainBatchRow[] {
  return deps
    .statement(
      `SELECT seq, key_id, prev_hmac, hmac,
              json_array(tenant_id, seq, at, actor_type, actor_id, channel, event_type, target_type, target_id,
                         payload, key_id, prev_hmac)
         FROM audit_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw()
    .all(tenantId, afterSeq, limit) as ChainBatchRow[];
}

export function selectChainEntry(deps: Statements, tenantId: string, seq: number): AuditEntry | undefined {
  return deps
    .statement(
      `SELECT tenant_id AS tenantId, seq, at, actor_type AS actorType, actor_id AS actorId, channel,
              event_type AS eventType, target_type AS targetType, target_id AS targetId, payload, key_id AS keyId,
              prev_hmac AS prevHmac, hmac
         FROM audit_entries WHERE tenant_id = ? AND seq = ?`,
    )
    .get(tenantId, seq) as AuditEntry | undefined;
}

/** The seq of the entry (other than `seq`) that links to `prevHmac`: where a moved entry went. */
export function selectSuccessorSeq(deps: Statements, tenantId: string, prevHmac: string, seq: number): number | undefined {
  return deps
    .statement('SELECT seq FROM audit_entries WHERE tenant_id = ? AND prev_hmac = ? AND seq <> ? ORDER BY seq LIMIT 1')
    .pluck()
    .get(tenantId, prevHmac, seq) as number | undefined;
}

/** Each tenant's chain length (its last seq), by tenant id; tenants with an empty chain are absent. */
export function selectChainLengths(deps: Statements): Map<string, number> {
  const rows = deps.statement('SELECT tenant_id, max(seq) FROM audit_entries GROUP BY tenant_id').raw().all() as Array<[string, number]>;
  return new Map(rows);
}

// ——— audit_entries: listings (`audit tail`) ———

/** An entry row as listings read it (the chain's columns and the row id). */
/** A listed entry: the chain row without its key and link (a listing shows events, verify reads the links). */
export interface StoredAuditEntry extends Omit<AuditEntry, 'keyId' | 'prevHmac'> {
  id: number;
}

export interface AuditEntryQuery {
  tenantId?: string;
  sinceMs?: number;
  afterId?: number;
  /** Exact event type. */
  type?: string;
  /** Event type prefix (the `*` already removed). */
  typePrefix?: string;
  actorType?: string;
  actorId?: string;
  limit: number;
  /** Oldest first from `afterId`; otherwise the newest `limit`, newest first. */
  order: 'asc' | 'desc';
}

/** The filtered listing; one prepared statement per combination of filters (a handful), reused. */
export function selectAuditEntries(deps: Statements, q: AuditEntryQuery): StoredAuditEntry[] {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (q.tenantId !== undefined) add('tenant_id = ?', q.tenantId);
  if (q.sinceMs !== undefined) add('at >= ?', q.sinceMs);
  if (q.afterId !== undefined) add('id > ?', q.afterId);
  if (q.typePrefix !== undefined) add('substr(event_type, 1, ?) = ?', q.typePrefix.length, q.typePrefix);
  if (q.type !== undefined) add('event_type = ?', q.type);
  if (q.actorType !== undefined) add('actor_type = ?', q.actorType);
  if (q.actorId !== undefined) add('actor_id = ?', q.actorId);
  const sql = `SELECT id, tenant_id AS tenantId, seq, at, actor_type AS actorType, actor_id AS actorId, channel,
                      event_type AS eventType, target_type AS targetType, target_id AS targetId, payload, hmac
                 FROM audit_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY id ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
  return deps.statement(sql).all(...params, q.limit) as StoredAuditEntry[];
}

export function selectNewestEntryId(deps: Statements): number {
  return deps.statement('SELECT coalesce(max(id), 0) FROM audit_entries').pluck().get() as number;
}

// ——— audit_heads ———

const HEAD_COLUMNS = 'id, tenant_id AS tenantId, seq, hmac, published_at AS publishedAt, kid, jws';

export function insertAuditHead(deps: Statements, head: Omit<AuditHeadRow, 'id'>): number {
  return deps
    .statement('INSERT INTO audit_heads (tenant_id, seq, hmac, published_at, kid, jws) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
    .pluck()
    .get(head.tenantId, head.seq, head.hmac, head.publishedAt, head.kid, head.jws) as number;
}

/** Every stored head of a tenant, in the order they were stored. */
export function selectHeadsOfTenant(deps: Statements, tenantId: string): AuditHeadRow[] {
  return deps.statement(`SELECT ${HEAD_COLUMNS} FROM audit_heads WHERE tenant_id = ? ORDER BY id`).all(tenantId) as AuditHeadRow[];
}

/** The newest `limit` heads of a tenant, newest first. */
export function selectNewestHeads(deps: Statements, tenantId: string, limit: number): AuditHeadRow[] {
  return deps
    .statement(`SELECT ${HEAD_COLUMNS} FROM audit_heads WHERE tenant_id = ? ORDER BY published_at DESC, id DESC LIMIT ?`)
    .all(tenantId, limit) as AuditHeadRow[];
}

/** Heads published after `sinceMs` (exclusive; all when omitted), oldest first. */
export function selectHeadsSince(deps: Statements, tenantId: string, sinceMs: number | undefined, limit: number): AuditHeadRow[] {
  return deps
    .statement(`SELECT ${HEAD_COLUMNS} FROM audit_heads WHERE tenant_id = ? AND published_at > ? ORDER BY published_at, id LIMIT ?`)
    .all(tenantId, sinceMs ?? Number.MIN_SAFE_INTEGER, limit) as AuditHeadRow[];
}

/** Each tenant's newest head's publication time (ms), by tenant id; tenants without a head are absent. */
export function selectNewestHeadTimes(deps: Statements): Map<string, number> {
  const rows = deps.statement('SELECT tenant_id, max(published_at) FROM audit_heads GROUP BY tenant_id').raw().all() as Array<[string, number]>;
  return new Map(rows);
}
