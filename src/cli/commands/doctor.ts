import type { Command } from 'commander';
import { systemClock } from '../../app/clock.ts';
import { AppError } from '../../app/errors.ts';
import { runDoctor } from '../../operations/doctor/doctor.ts';
import type { CliContext } from '../context.ts';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check a data dir and its surroundings: permissions, keys, disk, WAL, migrations, clock, mail, outbound services, backups')
    .option('--timeout <ms>', 'give up on each reachability check after this long', '3000')
    .addHelpText(
      'after',
      `
Each check is ok, warn or fail, with what to do about it. Exit code 1 when any check fails. Doctor never changes
the data dir (pending migrations are reported, not applied).

Examples:
  $ kimauth doctor
  $ kimauth --data-dir /var/lib/kimauth doctor --json | jq '.checks[] | select(.status != "ok")'`,
    )
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const config = ctx.config(cmd);
      const out = ctx.output(cmd);
      const report = await runDoctor({ config, clock: ctx.clock ?? systemClock(), timeoutMs: Number(opts.timeout) || 3000 });
      out.result(report, () => {
        for (const check of report.checks) {
          out.line(`${MARK[check.status]}  ${check.name.padEnd(22)} ${check.message}`);
          if (check.fix && check.status !== 'ok') out.line(`${' '.repeat(28)}→ ${check.fix}`);
        }
        out.line(`\n${report.counts.ok} ok, ${report.counts.warn} warnings, ${report.counts.fail} failed`);
      });
      if (!report.ok) {
        const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
        throw new AppError('not_ready', `doctor: ${failed.length} check(s) failed: ${failed.join(', ')}`);
      }
    });
}
