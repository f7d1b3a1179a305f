import type { Deps } from '../app/deps.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { createWebhookDeliveryLoop } from './delivery.ts';
import { purgeSentDeliveries } from './store.ts';

export const WEBHOOK_DELIVERY_JOB = 'webhook-deliveries';
export const WEBHOOK_PURGE_JOB = 'webhook-purge';
/** Delivered events are kept this long (for `webhooks deliveries`), then deleted. */
export const SENT_DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60_000;

/**
 * `serve` drains the webhook outbox every 5 seconds (the scheduler never overlaps two ticks; a second process on
 * the data dir is kept apart by the claims) and deletes old delivered rows daily.
 */
export function registerWebhookJobs(scheduler: Scheduler, deps: Deps): void {
  const loop = createWebhookDeliveryLoop(deps);
  scheduler.register({
    name: WEBHOOK_DELIVERY_JOB,
    cronTime: '*/5 * * * * *',
    run: async () => {
      const result = await loop.drain();
      if (result.sent + result.retried + result.failed > 0) deps.logger.info(result, 'webhook outbox drained');
    },
  });
  scheduler.register({
    name: WEBHOOK_PURGE_JOB,
    cronTime: '0 40 3 * * *',
    run: () => {
      const deleted = purgeSentDeliveries(deps, deps.clock.nowMs() - SENT_DELIVERY_RETENTION_MS);
      if (deleted > 0) deps.logger.info({ deleted }, 'purged delivered webhook events');
    },
  });
}
