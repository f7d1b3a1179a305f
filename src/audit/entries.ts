import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';

/** An entry as `audit tail` shows it: the chain's columns, the tenant's slug, the payload parsed. */
export interface AuditEntryView {
  id: number;
  tenant: string;
  seq: number;
  at: string;
  actor: { type: string; id: string | null; channel: string };
  type: string;
  target: { type: string; id: string } | null;
  payload: unknown;
  hmac: string;
}

export interface AuditEntryFilter {
  tenantId?: string;
  sinceMs?: number;
  /** An exact event type, or a prefix ending in `*` (`key.*`). */
  type?: string;
  /** An actor id, or `type:id` (`operator:alice`), or `type:` for every actor of a type. */
  actor?: string;
  /** Only entries stored after this row id (`--follow` polls with it). */
  afterId?: number;
  limit?: number;
}

interface Row {
  id: number;
  slug: string;
  seq: number;
  at: number;
  actor_type: string;
  actor_id: string | null;
  channel: string;
  event_type: string;
  target_type: string | null;
  target_id: string | null;
  payload: string;
  hmac: string;
}

function view(r: Row): AuditEntryView {
  return {
    id: r.id,
    tenant: r.slug,
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, channel: r.channel },
    type: r.event_type,
    target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
    payload: JSON.parse(r.payload),
    hmac: r.hmac,
  };
}

/** The newest `limit` entries matching the filter, oldest first (insertion order across tenants). */
export function listAuditEntries(deps: Deps, filter: AuditEntryFilter = {}): AuditEntryView[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.tenantId) {
    where.push('e.tenant_id = ?');
    params.push(filter.tenantId);
  }
  if (filter.sinceMs !== undefined) {
    where.push('e.at >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.afterId !== undefined) {
    where.push('e.id > ?');
    params.push(filter.afterId);
  }
  if (filter.type) {
    if (filter.type.endsWith('*')) {
      where.push("substr(e.event_type, 1, ?) = ?");
      const prefix = filter.type.slice(0, -1);
      params.push(prefix.length, prefix);
    } else {
      where.push('e.event_type = ?');
      params.push(filter.type);
    }
  }
  if (filter.actor) {
    const colon = filter.actor.indexOf(':');
    if (colon >= 0) {
      where.push('e.actor_type = ?');
      params.push(filter.actor.slice(0, colon));
      if (colon < filter.actor.length - 1) {
        where.push('e.actor_id = ?');
        params.push(filter.actor.slice(colon + 1));
      }
    } else {
      where.push('e.actor_id = ?');
      params.push(filter.actor);
    }
  }
  const limit = filter.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw validationError('limit must be between 1 and 100000');
  const sql = `SELECT e.id, t.slug, e.seq, e.at, e.actor_type, e.actor_id, e.channel, e.event_type, e.target_type,
                      e.target_id, e.payload, e.hmac
                 FROM audit_entries e JOIN tenants t ON t.id = e.tenant_id
                ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY e.id ${filter.afterId !== undefined ? 'ASC' : 'DESC'} LIMIT ?`;
  const rows = deps.sqlite.prepare(sql).all(...params, limit) as Row[];
  if (filter.afterId === undefined) rows.reverse();
  return rows.map(view);
}

/** `2026-03-01T12:00:00Z`, a date, epoch milliseconds, or a look-back such as `15m`, `2h`, `7d`. */
export function parseSince(value: string, nowMs: number): number {
  const rel = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (rel) return nowMs - Number(rel[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d{10,}$/.test(value.trim())) return Number(value.trim());
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw validationError(`Invalid --since "${value}": use an ISO time, epoch milliseconds or 15m / 2h / 7d`);
  return parsed;
}

/** The id of the newest entry in any chain (0 when empty): where `audit tail --follow` starts watching. */
export function newestAuditEntryId(deps: Deps): number {
  return deps.statement('SELECT coalesce(max(id), 0) FROM audit_entries').pluck().get() as number;
}
