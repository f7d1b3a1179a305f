import type { Deps } from '../app/deps.ts';
import { systemActor } from '../audit/actors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { deleteExpiredAuthorizationCodes, deleteExpiredRevocations } from './store.ts';

export const OIDC_PURGE_JOB = 'oidc-purge';
/** Used or expired codes are kept a day (a replay a little later still revokes what the code issued). */
const CODE_RETENTION_MS = 24 * 60 * 60_000;

/** Deletes authorization codes a day past their minute and revocations past their token's exp; audited when it did. */
export function purgeOidcArtefacts(deps: Deps): { codes: number; revocations: number } {
  const now = deps.clock.nowMs();
  return deps.sqlite.transaction(() => {
    const report = { codes: deleteExpiredAuthorizationCodes(deps, now - CODE_RETENTION_MS), revocations: deleteExpiredRevocations(deps, now) };
    if (report.codes || report.revocations) {
      deps.audit.append(deps.platformTenantId(), { actor: systemActor(OIDC_PURGE_JOB), type: 'oidc.purged', payload: report });
    }
    return report;
  })();
}

/** Hourly. */
export function registerOidcPurgeJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: OIDC_PURGE_JOB,
    cronTime: '0 17 * * * *',
    run: () => {
      const report = purgeOidcArtefacts(deps);
      deps.logger.debug(report, 'oidc purge done');
    },
  });
}
