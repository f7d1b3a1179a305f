import type { Deps } from '../app/deps.ts';
import type { Scheduler } from './scheduler.ts';
import { registerMailJobs } from '../mail/jobs.ts';
import { registerAuditHeadJob } from '../audit/head-job.ts';
import { registerMaintenanceJob } from './maintenance.ts';
import { registerOssQuarterlyJob } from '../oss/quarterly-job.ts';
import { registerViesRecheckJob } from '../payments/vies-recheck.ts';
import { registerSessionJobs } from '../sessions/jobs.ts';
import { registerWebhookJobs } from '../webhooks/jobs.ts';
import { registerOidcPurgeJob } from '../oidc/purge-job.ts';
import { registerBackupJob } from '../operations/backup/job.ts';
import { registerSignInStepsPurgeJob } from '../mfa/retention.ts';

/**
 * Each capability that needs periodic work adds its registration here (audit heads, OSS reports, mail
 * outbox, expiry cleanup). `serve` calls this once, before starting the scheduler.
 */
const JOB_REGISTRATIONS: Array<(scheduler: Scheduler, deps: Deps) => void> = [
  registerMailJobs,
  registerAuditHeadJob,
  registerMaintenanceJob,
  registerOssQuarterlyJob,
  registerViesRecheckJob,
  registerSessionJobs,
  registerWebhookJobs,
  registerOidcPurgeJob,
  registerBackupJob,
  registerSignInStepsPurgeJob,
];

export function registerJobs(scheduler: Scheduler, deps: Deps): void {
  for (const register of JOB_REGISTRATIONS) register(scheduler, deps);
}
