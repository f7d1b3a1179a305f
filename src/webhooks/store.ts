import type { Deps } from '../app/deps.ts';

/** All SQL of the webhooks context (tables webhooks and webhook_deliveries, migration 0051). */
export interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: string | null;
  /** The signing secret, sealed with the master key (master-key.ts sealToText). */
  secret_sealed: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: number;
  claim_token: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: number;
  sent_at: number | null;
}

export function insertWebhook(deps: Deps, row: WebhookRow): void {
  deps
    .statement(
      `INSERT INTO webhooks (id, tenant_id, url, events, description, secret_sealed, enabled, created_at, updated_at)
       VALUES (@id, @tenant_id, @url, @events, @description, @secret_sealed, @enabled, @created_at, @updated_at)`,
    )
    .run(row);
}

export function updateWebhookRow(deps: Deps, row: WebhookRow): void {
  deps
    .statement(
      `UPDATE webhooks SET url = @url, events = @events, description = @description, secret_sealed = @secret_sealed,
              enabled = @enabled, updated_at = @updated_at
        WHERE id = @id`,
    )
    .run(row);
}

export function deleteWebhookRow(deps: Deps, id: string): boolean {
  // Its deliveries go with it (ON DELETE CASCADE): a deleted endpoint is sent nothing more.
  return deps.statement('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
}

export function webhookById(deps: Deps, id: string): WebhookRow | undefined {
  return deps.statement('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
}

export function webhooksOfTenant(deps: Deps, tenantId: string): WebhookRow[] {
  return deps.statement('SELECT * FROM webhooks WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId) as WebhookRow[];
}

/** Whether any webhook exists at all: the audit listener's fast path on an instance without webhooks. */
export function anyWebhookExists(deps: Deps): boolean {
  return deps.statement('SELECT 1 FROM webhooks LIMIT 1').get() !== undefined;
}

/** The enabled webhooks of a tenant subscribed to an event type. */
export function subscribedWebhookIds(deps: Deps, tenantId: string, eventType: string): string[] {
  return (
    deps
      .statement(
        `SELECT w.id FROM webhooks w
          WHERE w.tenant_id = ? AND w.enabled = 1 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ?)
          ORDER BY w.created_at, w.id`,
      )
      .all(tenantId, eventType) as Array<{ id: string }>
  ).map((r) => r.id);
}

export function insertDelivery(
  deps: Deps,
  row: Pick<DeliveryRow, 'id' | 'tenant_id' | 'webhook_id' | 'event_id' | 'event_type' | 'payload' | 'next_attempt_at' | 'created_at'>,
): void {
  deps
    .statement(
      `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at)
       VALUES (@id, @tenant_id, @webhook_id, @event_id, @event_type, @payload, 'pending', 0, @next_attempt_at, @created_at)
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    )
    .run(row);
}

export function deliveryById(deps: Deps, id: string): DeliveryRow | undefined {
  return deps.statement('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
}

export function deliveriesOf(deps: Deps, filter: { tenantId: string; webhookId?: string; status?: string; limit: number }): DeliveryRow[] {
  return deps
    .statement(
      `SELECT * FROM webhook_deliveries
        WHERE tenant_id = @tenantId AND (@webhookId IS NULL OR webhook_id = @webhookId) AND (@status IS NULL OR status = @status)
        ORDER BY created_at DESC, id DESC LIMIT @limit`,
    )
    .all({ tenantId: filter.tenantId, webhookId: filter.webhookId ?? null, status: filter.status ?? null, limit: filter.limit }) as DeliveryRow[];
}

/** The HTTP status of the receiver's last answer (the loop keeps the rest of the bookkeeping). */
export function recordResponseStatus(deps: Deps, id: string, status: number | null): void {
  deps.statement('UPDATE webhook_deliveries SET last_status = ? WHERE id = ?').run(status, id);
}

/** Due now with a fresh set of attempts (a failed delivery after the receiver is fixed). */
export function requeueDelivery(deps: Deps, id: string, now: number): boolean {
  return (
    deps
      .statement(`UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, claim_token = NULL WHERE id = ? AND status != 'sent'`)
      .run(now, id).changes > 0
  );
}

export function purgeSentDeliveries(deps: Deps, sentBefore: number): number {
  return deps.statement("DELETE FROM webhook_deliveries WHERE status = 'sent' AND sent_at < ?").run(sentBefore).changes;
}
