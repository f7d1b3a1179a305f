import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { listTenants } from '../tenants/tenants.ts';
import { selectAuditEntries, selectNewestEntryId, type StoredAuditEntry } from './store.ts';

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

function view(e: StoredAuditEntry, slugs: Map<string, string>): AuditEntryView {
  return {
    id: e.id,
    tenant: slugs.get(e.tenantId) ?? e.tenantId,
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    actor: { type: e.actorType, id: e.actorId, channel: e.channel },
    type: e.eventType,
    target: e.targetType && e.targetId ? { type: e.targetType, id: e.targetId } : null,
    payload: JSON.parse(e.payload),
    hmac: e.hmac,
  };
}

/** `type:id`, `type:` or a bare actor id, as the store filters it. */
function actorFilter(actor: string | undefined): { actorType?: string; actorId?: string } {
  if (!actor) return {};
  const colon = actor.indexOf(':');
  if (colon < 0) return { actorId: actor };
  return { actorType: actor.slice(0, colon), actorId: colon < actor.length - 1 ? actor.slice(colon + 1) : undefined };
}

/** The newest `limit` entries matching the filter, oldest first (insertion order across tenants). */
export function listAuditEntries(deps: Deps, filter: AuditEntryFilter = {}): AuditEntryView[] {
  const limit = filter.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw validationError('limit must be between 1 and 100000');
  const prefix = filter.type?.endsWith('*');
  const rows = selectAuditEntries(deps, {
    tenantId: filter.tenantId || undefined,
    sinceMs: filter.sinceMs,
    afterId: filter.afterId,
    type: filter.type && !prefix ? filter.type : undefined,
    typePrefix: filter.type && prefix ? filter.type.slice(0, -1) : undefined,
    ...actorFilter(filter.actor),
    limit,
    order: filter.afterId !== undefined ? 'asc' : 'desc',
  });
  if (filter.afterId === undefined) rows.reverse();
  // The slugs come from the tenants context (one read of a short table), not from a join on its table.
  const slugs = new Map(listTenants(deps).map((t) => [t.id, t.slug]));
  return rows.map((r) => view(r, slugs));
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
  return selectNewestEntryId(deps);
}
