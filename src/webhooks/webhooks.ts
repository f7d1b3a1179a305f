import { randomBytes, randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError } from '../app/errors.ts';
import { assertPlainText } from '../app/control-characters.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { sealToText } from '../keys/master-key.ts';
import { outboxDepth, type OutboxDepth } from '../outbox/store.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { createWebhookDeliveryLoop, secretContext } from './delivery.ts';
import { eventBody, newEventId, TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.ts';
import {
  deleteWebhookRow,
  deliveriesOf,
  deliveryById,
  insertDelivery,
  insertWebhook,
  requeueDelivery,
  updateWebhookRow,
  webhookById,
  webhooksOfTenant,
  type DeliveryRow,
  type WebhookRow,
} from './store.ts';
import { checkWebhookTarget, type HostLookup } from './target-check.ts';

/** A webhook as people and scripts see it: never its secret, which is shown once (create, rotate). */
export interface WebhookView {
  id: string;
  tenantId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryRow['status'];
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface WebhookInput {
  url: string;
  events: readonly string[];
  description?: string | null;
  enabled?: boolean;
}

export interface WebhookChange {
  url?: string;
  events?: readonly string[];
  description?: string | null;
  enabled?: boolean;
  /** A new signing secret, returned once; the old one stops signing at once. */
  rotateSecret?: boolean;
}

/** Tests (and on-premises resolvers) may pass their own host lookup. */
export interface TargetOptions {
  lookup?: HostLookup;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventType[],
    description: row.description,
    enabled: row.enabled === 1,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    sentAt: iso(row.sent_at),
  };
}

export function parseEvents(events: readonly string[]): WebhookEventType[] {
  const given = [...new Set(events.map((e) => e.trim()).filter(Boolean))];
  if (given.length === 0) throw validationError(`Give at least one event: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  const unknown = given.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) throw validationError(`Unknown event ${unknown.join(', ')}: choose from ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  return given as WebhookEventType[];
}

function checkedDescription(description: string | null | undefined): string | null {
  if (description === undefined || description === null || description.trim() === '') return null;
  if (description.length > 500) throw validationError('description: at most 500 characters');
  assertPlainText('description', description);
  return description.trim();
}

async function assertTarget(deps: Deps, url: string, options: TargetOptions): Promise<string> {
  const check = await checkWebhookTarget(url, { allowPrivateNetworks: deps.config.webhookAllowPrivateNetworks, lookup: options.lookup });
  if (!check.ok) throw validationError(`url: ${check.reason}`);
  return check.url.href;
}

/** `whsec_` + 32 random bytes in base64, as Standard Webhooks writes secrets. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function ownWebhook(deps: Deps, tenant: TenantRow, id: string): WebhookRow {
  const row = webhookById(deps, id);
  if (!row || row.tenant_id !== tenant.id) throw notFound(`Webhook "${id}"`);
  return row;
}

/** Audit payload of a webhook: where and what, never the secret. */
const auditOf = (row: WebhookRow) => ({ url: row.url, events: JSON.parse(row.events) as string[], enabled: row.enabled === 1 });

export async function createWebhook(
  deps: Deps,
  caller: Principal,
  tenantRef: string,
  input: WebhookInput,
  options: TargetOptions = {},
): Promise<{ webhook: WebhookView; secret: string }> {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
  const events = parseEvents(input.events);
  const description = checkedDescription(input.description);
  const url = await assertTarget(deps, input.url, options);
  const secret = newSecret();
  const id = randomUUID();
  const now = deps.clock.nowMs();
  const row: WebhookRow = {
    id,
    tenant_id: tenant.id,
    url,
    events: JSON.stringify(events),
    description,
    secret_sealed: sealToText(deps.masterKeys, secret, secretContext(id)),
    enabled: input.enabled === false ? 0 : 1,
    created_at: now,
    updated_at: now,
  };
  deps.sqlite.transaction(() => {
    authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
    insertWebhook(deps, row);
    deps.audit.append(tenant.id, { actor: caller, type: 'webhook.created', target: { type: 'webhook', id }, payload: auditOf(row) });
  }).immediate();
  return { webhook: view(row), secret };
}

export function listWebhooks(deps: Deps, caller: Principal, tenantRef: string): WebhookView[] {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'webhooks:read', { companyId: tenant.id });
  return webhooksOfTenant(deps, tenant.id).map(view);
}

export function getWebhook(deps: Deps, caller: Principal, tenantRef: string, id: string): WebhookView {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'webhooks:read', { companyId: tenant.id });
  return view(ownWebhook(deps, tenant, id));
}

export async function updateWebhook(
  deps: Deps,
  caller: Principal,
  tenantRef: string,
  id: string,
  change: WebhookChange,
  options: TargetOptions = {},
): Promise<{ webhook: WebhookView; secret?: string }> {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
  ownWebhook(deps, tenant, id);
  const url = change.url !== undefined ? await assertTarget(deps, change.url, options) : undefined;
  const events = change.events !== undefined ? JSON.stringify(parseEvents(change.events)) : undefined;
  const description = change.description !== undefined ? checkedDescription(change.description) : undefined;
  const secret = change.rotateSecret ? newSecret() : undefined;
  const next = deps.sqlite.transaction(() => {
    authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
    const before = ownWebhook(deps, tenant, id);
    const row: WebhookRow = {
      ...before,
      url: url ?? before.url,
      events: events ?? before.events,
      description: description === undefined ? before.description : description,
      enabled: change.enabled === undefined ? before.enabled : change.enabled ? 1 : 0,
      secret_sealed: secret ? sealToText(deps.masterKeys, secret, secretContext(id)) : before.secret_sealed,
      updated_at: deps.clock.nowMs(),
    };
    updateWebhookRow(deps, row);
    const changed = (['url', 'events', 'description', 'enabled'] as const).filter((k) => row[k] !== before[k]);
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'webhook.updated',
      target: { type: 'webhook', id },
      payload: { ...auditOf(row), changed: secret ? [...changed, 'secret'] : changed },
    });
    return row;
  }).immediate();
  return secret ? { webhook: view(next), secret } : { webhook: view(next) };
}

/** Deletes a webhook and its undelivered events; audited. */
export function deleteWebhook(deps: Deps, caller: Principal, tenantRef: string, id: string): void {
  const tenant = getTenant(deps, tenantRef);
  deps.sqlite.transaction(() => {
    authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
    const row = ownWebhook(deps, tenant, id);
    deleteWebhookRow(deps, id);
    deps.audit.append(tenant.id, { actor: caller, type: 'webhook.deleted', target: { type: 'webhook', id }, payload: auditOf(row) });
  }).immediate();
}

/**
 * Sends a `webhook.test` event to one webhook now, through the outbox like every event (so it is signed, recorded
 * and, if the receiver is down, retried), and reports how the first attempt went.
 */
export async function testWebhook(deps: Deps, caller: Principal, tenantRef: string, id: string, options: TargetOptions = {}): Promise<DeliveryView> {
  const tenant = getTenant(deps, tenantRef);
  const deliveryId = randomUUID();
  deps.sqlite.transaction(() => {
    authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
    ownWebhook(deps, tenant, id);
    const now = deps.clock.nowMs();
    const eventId = newEventId();
    const payload = eventBody(TEST_EVENT_TYPE, now, { id: tenant.id, slug: tenant.slug }, { webhook: { id }, message: 'This is a test event from kimauth.' });
    insertDelivery(deps, { id: deliveryId, tenant_id: tenant.id, webhook_id: id, event_id: eventId, event_type: TEST_EVENT_TYPE, payload, next_attempt_at: now, created_at: now });
    deps.audit.append(tenant.id, { actor: caller, type: 'webhook.tested', target: { type: 'webhook', id }, payload: { eventId } });
  }).immediate();
  await createWebhookDeliveryLoop(deps, options).deliverNow(deliveryId);
  return deliveryView(deliveryById(deps, deliveryId)!);
}

export function listDeliveries(
  deps: Deps,
  caller: Principal,
  tenantRef: string,
  filter: { webhookId?: string; status?: DeliveryRow['status']; limit?: number } = {},
): DeliveryView[] {
  const tenant = getTenant(deps, tenantRef);
  authorize(deps, caller, 'webhooks:read', { companyId: tenant.id });
  if (filter.webhookId) ownWebhook(deps, tenant, filter.webhookId);
  return deliveriesOf(deps, { tenantId: tenant.id, webhookId: filter.webhookId, status: filter.status, limit: filter.limit ?? 100 }).map(deliveryView);
}

/** Puts a failed (or waiting) delivery back in the queue, due now with a fresh set of attempts; audited. */
export function retryDelivery(deps: Deps, caller: Principal, tenantRef: string, deliveryId: string): DeliveryView {
  const tenant = getTenant(deps, tenantRef);
  return deps.sqlite.transaction(() => {
    authorize(deps, caller, 'webhooks:write', { companyId: tenant.id });
    const row = deliveryById(deps, deliveryId);
    if (!row || row.tenant_id !== tenant.id) throw notFound(`Delivery "${deliveryId}"`);
    if (!requeueDelivery(deps, deliveryId, deps.clock.nowMs())) throw validationError(`Delivery ${deliveryId} was already delivered`);
    deps.audit.append(tenant.id, {
      actor: caller,
      type: 'webhook.delivery_requeued',
      target: { type: 'webhook_delivery', id: deliveryId },
      payload: { webhookId: row.webhook_id, eventId: row.event_id, previousStatus: row.status, previousAttempts: row.attempts },
    });
    return deliveryView(deliveryById(deps, deliveryId)!);
  }).immediate();
}

/** The webhook outbox's depth and failures, instance-wide (operators, metrics). */
export function webhookOutboxDepth(deps: Deps): OutboxDepth {
  return outboxDepth(deps, 'webhook_deliveries', deps.clock.nowMs());
}
