import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { systemActor } from '../audit/actors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { purgeMagicLinks } from '../magic-links/store.ts';
import { purgeSpentChallenges } from '../passkeys/store.ts';
import { purgeChallenges } from './store.ts';

export const SIGN_IN_STEPS_PURGE_JOB = 'sign-in-steps-purge';
/** A spent or expired mfaToken or magic link is kept a day (to answer "expired or already used"), then deleted. */
export const SPENT_STEP_RETENTION_MS = 24 * 60 * 60_000;

/**
 * Deletes mfaTokens and magic links spent or expired a day ago, and the record of used passkey challenges whose
 * sealed pages expired by then; audited (`sign_in_steps.purged`) when any went.
 */
export function purgeSpentSignInSteps(deps: Deps, actor: Actor): { mfaChallenges: number; magicLinks: number; passkeyChallenges: number } {
  const before = deps.clock.nowMs() - SPENT_STEP_RETENTION_MS;
  return deps.sqlite.transaction(() => {
    const report = { mfaChallenges: purgeChallenges(deps, before), magicLinks: purgeMagicLinks(deps, before), passkeyChallenges: purgeSpentChallenges(deps, before) };
    if (report.mfaChallenges + report.magicLinks + report.passkeyChallenges > 0) {
      deps.audit.append(deps.platformTenantId(), {
        actor,
        type: 'sign_in_steps.purged',
        payload: { ...report, spentBefore: new Date(before).toISOString() },
      });
    }
    return report;
  })();
}

/** Hourly: sign-ins leave one mfaToken each, so they are swept more often than the daily maintenance purge. */
export function registerSignInStepsPurgeJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: SIGN_IN_STEPS_PURGE_JOB,
    cronTime: '0 17 * * * *',
    run: () => {
      const report = purgeSpentSignInSteps(deps, systemActor(SIGN_IN_STEPS_PURGE_JOB));
      deps.logger.info(report, 'spent sign-in steps purged');
    },
  });
}
