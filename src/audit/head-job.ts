import type { Deps } from '../app/deps.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { publishAuditHeads } from './heads.ts';

export const PUBLISH_HEADS_JOB = 'audit.publish-heads';
/** On the hour, UTC (seconds field first). */
export const PUBLISH_HEADS_CRON = '0 0 * * * *';

/** `serve` publishes every tenant's chain head hourly; the same function backs `audit heads publish`. */
export function registerAuditHeadJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: PUBLISH_HEADS_JOB,
    cronTime: PUBLISH_HEADS_CRON,
    async run() {
      const { published, failed } = await publishAuditHeads(deps);
      for (const f of failed) deps.logger.error({ tenant: f.slug, err: f.error }, 'audit head not published');
      deps.logger.info({ heads: published.length, failed: failed.length }, 'audit heads published');
    },
  });
}

/** `serve` publishes every tenant's head once when it starts; a failure is logged, never fatal. */
export async function publishHeadsAtStart(deps: Deps): Promise<void> {
  try {
    const { published, failed } = await publishAuditHeads(deps);
    for (const f of failed) deps.logger.error({ tenant: f.slug, err: f.error }, 'audit head not published');
    deps.logger.info({ heads: published.length, failed: failed.length }, 'audit heads published at start');
  } catch (err) {
    deps.logger.error({ err }, 'audit heads not published at start');
  }
}
