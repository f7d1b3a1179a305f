import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { AuditEntry, AuditEvent } from '../audit/audit-log.ts';
import { listCompanyMembershipsOfUser } from '../memberships/memberships.ts';
import { listSessions } from '../sessions/sessions.ts';
import { findTenant } from '../tenants/tenants.ts';
import { anyWebhookExists, insertDelivery, subscribedWebhookIds } from './store.ts';

/**
 * Webhook events are audit entries turned outward: a listener on the audit log (subscribed when Deps are built)
 * maps the entries below to events and writes one delivery per subscribed webhook into the webhook outbox — in
 * the append, so inside the transaction of the change. A change that rolls back leaves no delivery behind; one
 * that commits has its deliveries committed with it, and the outbox loop (delivery.ts) sends them.
 *
 *   audit action            → event                 receivers
 *   permissions.changed     → permissions.changed   the tenant of the chain; each subject's live session ids (`sids`)
 *   session.revoked         → session.revoked       the user's tenants (and the platform's own webhooks)
 *   session.revoked_all     → session.revoked       〃 (every session that ended)
 *   user.updated            → user.updated          〃 (profile, role, approval and status changes)
 *   user.deleted            → user.updated          〃 (`deleted: true`)
 *   agent.revoked           → agent.revoked         the tenant of the chain (reserved for the agents issue)
 */
export const WEBHOOK_EVENT_TYPES = ['permissions.changed', 'session.revoked', 'user.updated', 'agent.revoked'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent by `webhooks test` to one webhook, whatever it subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';

interface MappedEvent {
  type: WebhookEventType;
  data: Record<string, unknown>;
  /** The user the event is about, for events of the platform chain: their tenants receive it. */
  userId?: string;
}

type Mapper = (deps: Deps, entry: AuditEntry, event: AuditEvent) => MappedEvent | null;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The live sessions of a subject, the ids an application ends at once on `permissions.changed`. */
function liveSids(deps: Deps, subject: { type: string; id: string }): string[] {
  if (subject.type !== 'user') return [];
  const now = deps.clock.nowMs();
  return listSessions(deps, subject.id)
    .filter((s) => s.expiresAt.getTime() > now)
    .map((s) => s.id);
}

const MAPPERS: Record<string, Mapper> = {
  'permissions.changed': (deps, _entry, { payload = {} }) => ({
    type: 'permissions.changed',
    data: {
      subjects: list(payload.subjects)
        .map((s) => s as { type?: unknown; id?: unknown })
        .filter((s) => typeof s?.type === 'string' && typeof s?.id === 'string')
        .map((s) => {
          const subject = { type: s.type as string, id: s.id as string };
          return { ...subject, sids: liveSids(deps, subject) };
        }),
      added: list(payload.added),
      removed: list(payload.removed),
    },
  }),
  'session.revoked': (_deps, entry, { payload = {} }) => {
    const userId = str(payload.userId);
    return userId ? { type: 'session.revoked', userId, data: { user: { id: userId }, sids: entry.targetId ? [entry.targetId] : [], reason: payload.reason ?? null } } : null;
  },
  'session.revoked_all': (_deps, entry, { payload = {} }) => {
    const sids = list(payload.sessions).filter((s): s is string => typeof s === 'string');
    if (!entry.targetId || sids.length === 0) return null;
    return { type: 'session.revoked', userId: entry.targetId, data: { user: { id: entry.targetId }, sids, reason: payload.reason ?? null } };
  },
  'user.updated': (_deps, entry, { payload = {} }) =>
    entry.targetId ? { type: 'user.updated', userId: entry.targetId, data: { user: { id: entry.targetId }, ...payload } } : null,
  'user.deleted': (_deps, entry) =>
    entry.targetId ? { type: 'user.updated', userId: entry.targetId, data: { user: { id: entry.targetId }, fields: ['deleted'], deleted: true } } : null,
  'agent.revoked': (_deps, entry, { payload = {} }) => ({
    type: 'agent.revoked',
    data: { agent: entry.targetId ? { type: entry.targetType, id: entry.targetId } : null, ...payload },
  }),
};

/** Which tenants' webhooks receive an event: a tenant chain's own; for the platform chain, the user's tenants too. */
function receivingTenants(deps: Deps, entry: AuditEntry, mapped: MappedEvent): string[] {
  const platform = deps.platformTenantId();
  if (entry.tenantId !== platform) return [entry.tenantId];
  const tenants = new Set([platform]);
  if (mapped.userId) for (const m of listCompanyMembershipsOfUser(deps, mapped.userId)) tenants.add(m.companyId);
  return [...tenants];
}

export function newEventId(): string {
  return `msg_${randomUUID().replace(/-/g, '')}`;
}

/** The body every receiver gets (Standard Webhooks): `{type, timestamp, data}`, data naming the tenant. */
export function eventBody(type: string, at: number, tenant: { id: string; slug: string }, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data: { tenant, ...data } });
}

/** Writes one delivery per subscribed webhook of each receiving tenant; inside the append's transaction. */
function enqueueEvent(deps: Deps, entry: AuditEntry, mapped: MappedEvent): void {
  const eventId = newEventId();
  const now = deps.clock.nowMs();
  for (const tenantId of receivingTenants(deps, entry, mapped)) {
    const webhookIds = subscribedWebhookIds(deps, tenantId, mapped.type);
    if (webhookIds.length === 0) continue;
    const tenant = findTenant(deps, tenantId);
    if (!tenant) continue;
    const payload = eventBody(mapped.type, entry.at, { id: tenant.id, slug: tenant.slug }, mapped.data);
    for (const webhookId of webhookIds) {
      insertDelivery(deps, { id: randomUUID(), tenant_id: tenantId, webhook_id: webhookId, event_id: eventId, event_type: mapped.type, payload, next_attempt_at: now, created_at: now });
    }
  }
}

/** Subscribes the webhook outbox to the audit log of these Deps (buildDeps calls it once). */
export function subscribeWebhookEvents(deps: Deps): () => void {
  return deps.audit.subscribe((entry, event) => {
    const mapper = MAPPERS[entry.eventType];
    if (!mapper || !anyWebhookExists(deps)) return;
    const mapped = mapper(deps, entry, event);
    if (mapped) enqueueEvent(deps, entry, mapped);
  });
}
