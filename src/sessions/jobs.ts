import type { Deps } from '../app/deps.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { wipeExpiredSuccessors } from './refresh.ts';

export const REFRESH_GRACE_WIPE_JOB = 'sessions-grace-wipe';

/** Sealed refresh successors live no longer than KIMAUTH_REFRESH_REUSE_GRACE plus one tick of this job. */
export function registerSessionJobs(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: REFRESH_GRACE_WIPE_JOB,
    cronTime: '*/5 * * * * *',
    run: () => {
      wipeExpiredSuccessors(deps);
    },
  });
}
