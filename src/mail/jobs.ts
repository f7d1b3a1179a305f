import type { Deps } from '../app/deps.ts';
import { systemActor } from '../audit/actors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { purgeSentMail } from './outbox.ts';
import { createMailOutboxWorker } from './outbox-worker.ts';

export const MAIL_OUTBOX_JOB = 'mail-outbox';
export const MAIL_PURGE_JOB = 'mail-purge';

/**
 * Drains the outbox every 5 seconds while email is enabled (the scheduler never overlaps two ticks of a
 * job; a second `serve` on the same data dir is kept apart by the claims), and deletes old sent rows daily.
 */
export function registerMailJobs(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: MAIL_PURGE_JOB,
    cronTime: '0 30 3 * * *',
    run: () => {
      const deleted = purgeSentMail(deps, systemActor(MAIL_PURGE_JOB));
      if (deleted > 0) deps.logger.info({ deleted }, 'purged sent mail');
    },
  });
  if (!deps.config.emailEnabled || !deps.config.smtpUrl) return;
  const worker = createMailOutboxWorker(deps);
  scheduler.register({
    name: MAIL_OUTBOX_JOB,
    cronTime: '*/5 * * * * *',
    run: async () => {
      const result = await worker.drain();
      if (result.sent + result.retried + result.failed > 0) deps.logger.info(result, 'mail outbox drained');
    },
  });
}
