import { Webhook } from 'standardwebhooks';
import type { Deps } from '../app/deps.ts';
import { VERSION } from '../app/version.ts';
import { openSealedText } from '../keys/master-key.ts';
import { createOutboxLoop, type DeliveryOutcome, type OutboxLoop, type RetryPolicy } from '../outbox/loop.ts';
import { checkWebhookTarget, type HostLookup } from './target-check.ts';
import { recordResponseStatus, webhookById } from './store.ts';

/**
 * A failed delivery is tried again after 10 s, 20 s, 40 s, … (doubling, capped at 1 h), 15 attempts in all (about
 * 8 h of outage), then marked failed until `kimauth webhooks deliveries --retry`. With the 5-second drain the first
 * retry comes within 15 s. The lease outlasts one request (REQUEST_TIMEOUT_MS) by far.
 */
export const WEBHOOK_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 10_000,
  maxDelayMs: 60 * 60_000,
  maxAttempts: 15,
  leaseMs: 2 * 60_000,
};

export const REQUEST_TIMEOUT_MS = 15_000;

/** The webhook outbox as the outbox loop sees it. */
const WEBHOOK_QUEUE = {
  table: 'webhook_deliveries',
  columns: 'webhook_id AS webhookId, event_id AS eventId, event_type AS eventType, payload',
};

interface ClaimedDelivery {
  id: string;
  attempts: number;
  webhookId: string;
  eventId: string;
  eventType: string;
  payload: string;
}

export const secretContext = (webhookId: string) => `webhook-secret:${webhookId}`;

/** The Standard Webhooks headers for one attempt (`webhook-timestamp` is the time of the attempt, as the spec has it). */
export function signedHeaders(secret: string, eventId: string, at: Date, payload: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': `kimauth-webhooks/${VERSION}`,
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, at, payload),
  };
}

/**
 * The webhook delivery loop: POSTs each delivery, signed, through `deps.http`. A 2xx answer is delivered; any
 * other answer, a timeout or a network error is retried; a target that has become private (SSRF check again
 * before every attempt), a disabled webhook or an unreadable secret gives up. Redirects are not followed.
 */
export function createWebhookDeliveryLoop(deps: Deps, options: { lookup?: HostLookup; policy?: RetryPolicy } = {}): OutboxLoop {
  const deliver = async (item: ClaimedDelivery): Promise<DeliveryOutcome> => {
    const webhook = webhookById(deps, item.webhookId);
    if (!webhook) return { result: 'give-up', error: 'the webhook was deleted' };
    if (!webhook.enabled) return { result: 'give-up', error: 'the webhook is disabled' };
    const target = await checkWebhookTarget(webhook.url, { allowPrivateNetworks: deps.config.webhookAllowPrivateNetworks, lookup: options.lookup });
    if (!target.ok) return { result: target.retryable ? 'retry' : 'give-up', error: target.reason };
    let secret: string;
    try {
      secret = openSealedText(deps.masterKeys, webhook.secret_sealed, secretContext(webhook.id));
    } catch {
      return { result: 'give-up', error: 'the signing secret cannot be opened with this master key' };
    }
    let status: number;
    try {
      const response = await deps.http(target.url, {
        method: 'POST',
        headers: signedHeaders(secret, item.eventId, deps.clock.now(), item.payload),
        body: item.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
    } catch (err) {
      recordResponseStatus(deps, item.id, null);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { result: 'retry', error: `${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}${cause ? ` (${cause})` : ''}` };
    }
    recordResponseStatus(deps, item.id, status);
    return status >= 200 && status < 300 ? { result: 'sent' } : { result: 'retry', error: `the receiver answered HTTP ${status}` };
  };

  return createOutboxLoop<ClaimedDelivery>(deps, {
    queue: WEBHOOK_QUEUE,
    policy: options.policy ?? WEBHOOK_RETRY_POLICY,
    deliver,
    describe: (item) => ({ deliveryId: item.id, webhookId: item.webhookId, eventId: item.eventId, eventType: item.eventType }),
    noun: 'webhook',
  });
}
