import type { Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { purgeExpired } from '../../jobs/maintenance.ts';
import type { CliContext } from '../context.ts';

export function registerMaintenanceCommand(program: Command, ctx: CliContext): void {
  const maintenance = program
    .command('maintenance')
    .description('housekeeping that `serve` runs daily (03:30 UTC), on demand')
    .addHelpText('after', '\nExamples:\n  $ kimauth maintenance purge\n  $ kimauth maintenance purge --json');

  maintenance
    .command('purge')
    .description(
      'delete sessions ended over 30 days ago (with their refresh tokens) and reset / set-password tokens spent over a day ago; mark overdue invitations expired',
    )
    .addHelpText(
      'after',
      `
Runs in one transaction and appends one maintenance.purged entry (with the counts) to the platform audit chain;
each expired invitation is audited as invitation.expired in its company's chain. Live sessions and tokens are untouched.

Examples:
  $ kimauth maintenance purge
  $ kimauth maintenance purge --json`,
    )
    .action(async (_opts: unknown, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const report = purgeExpired(deps, cliActor());
        out.result(report, () =>
          out.record([
            ['sessions deleted', report.deleted.sessions],
            ['refresh tokens deleted', report.deleted.refreshTokens],
            ['password-reset tokens deleted', report.deleted.passwordResetTokens],
            ['set-password tokens deleted', report.deleted.setPasswordTokens],
            ['invitations expired', report.invitationsExpired],
            ['sessions ended before', report.sessionsEndedBefore],
            ['tokens spent before', report.tokensSpentBefore],
          ]),
        );
      }),
    );
}
