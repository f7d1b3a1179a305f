import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { systemActor } from '../audit/actors.ts';
import { purgeSpentResetTokens } from '../identity/password-reset.ts';
import { purgeSpentSetPasswordTokens } from '../identity/set-password-tokens.ts';
import { expireDueInvitations } from '../invitations/invitations.ts';
import { purgeEndedSessions } from '../sessions/retention.ts';
import type { Scheduler } from './scheduler.ts';

export const MAINTENANCE_PURGE_JOB = 'maintenance-purge';

const DAY_MS = 24 * 60 * 60_000;

export interface MaintenanceRetention {
  /** Revoked or expired sessions stay listed this long, then go with their refresh tokens. */
  endedSessionsMs: number;
  /** Used or expired password-reset and set-password tokens are kept this long. */
  spentTokensMs: number;
}

export const MAINTENANCE_RETENTION: MaintenanceRetention = { endedSessionsMs: 30 * DAY_MS, spentTokensMs: DAY_MS };

export interface PurgeReport {
  deleted: { sessions: number; refreshTokens: number; passwordResetTokens: number; setPasswordTokens: number };
  invitationsExpired: number;
  sessionsEndedBefore: string;
  tokensSpentBefore: string;
}

/**
 * Housekeeping of expired credentials, one transaction: each context purges its own tables, due invitations
 * become `expired` (audited in their company's chain), and one `maintenance.purged` entry with the counts goes
 * to the platform chain. The daily job and `kimauth maintenance purge` both run this.
 */
export function purgeExpired(deps: Deps, actor: Actor, retention: MaintenanceRetention = MAINTENANCE_RETENTION): PurgeReport {
  const now = deps.clock.nowMs();
  const sessionsEndedBefore = new Date(now - retention.endedSessionsMs);
  const tokensSpentBefore = new Date(now - retention.spentTokensMs);
  return deps.sqlite.transaction(() => {
    const sessions = purgeEndedSessions(deps, sessionsEndedBefore);
    const report: PurgeReport = {
      deleted: {
        sessions: sessions.sessions,
        refreshTokens: sessions.refreshTokens,
        passwordResetTokens: purgeSpentResetTokens(deps, tokensSpentBefore),
        setPasswordTokens: purgeSpentSetPasswordTokens(deps, tokensSpentBefore),
      },
      invitationsExpired: expireDueInvitations(deps, actor),
      sessionsEndedBefore: sessionsEndedBefore.toISOString(),
      tokensSpentBefore: tokensSpentBefore.toISOString(),
    };
    deps.audit.append(deps.platformTenantId(), { actor, type: 'maintenance.purged', payload: { ...report } });
    return report;
  })();
}

/** Daily at 03:30 UTC, next to the mail purge. */
export function registerMaintenanceJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: MAINTENANCE_PURGE_JOB,
    cronTime: '0 30 3 * * *',
    run: () => {
      const report = purgeExpired(deps, systemActor(MAINTENANCE_PURGE_JOB));
      deps.logger.info(report, 'maintenance purge done');
    },
  });
}
