import { Command, CommanderError } from 'commander';
import { ConfigError } from '../app/config.ts';
import type { Clock } from '../app/clock.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor, isAppError } from '../app/errors.ts';
import { VERSION } from '../app/version.ts';
import { createCliContext, type CliContext } from './context.ts';
import type { CliIo } from './io.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTenantsCommand } from './commands/tenants.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerMailCommand } from './commands/mail.ts';
import { registerUsersCommand } from './commands/users.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerMaintenanceCommand } from './commands/maintenance.ts';
import { registerInvitationsCommand } from './commands/invitations.ts';
import { registerPaymentProfilesCommand } from './commands/payment-profiles.ts';
import { registerFxCommand } from './commands/fx.ts';
import { registerOssReportCommand } from './commands/oss-report.ts';

/** Command groups; each later capability adds its own file under commands/ and a line here. */
const COMMAND_GROUPS: Array<(program: Command, ctx: CliContext) => void> = [
  registerInitCommand,
  registerServeCommand,
  registerTenantsCommand,
  registerKeysCommand,
  registerMailCommand,
  registerUsersCommand,
  registerAuditCommand,
  registerInvitationsCommand,
  registerMaintenanceCommand,
  registerPaymentProfilesCommand,
  registerFxCommand,
  registerOssReportCommand,
];

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('kimauth')
    .description('kimauth — identity and access appliance: HTTP server and operator CLI over an embedded SQLite store')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--data-dir <dir>', 'data directory (default: $KIMAUTH_DATA_DIR or ./kimauth-data)')
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('--quiet', 'print only results, no progress or notes')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ kimauth init --yes --admin-email ops@example.com --admin-password-stdin < pw.txt
  $ kimauth serve --port 3097
  $ kimauth tenants create --slug acme --name "Acme"
  $ kimauth keys rotate --tenant acme
  $ kimauth users create --email jane@acme.com --name "Jane Doe"`,
    );
  for (const register of COMMAND_GROUPS) register(program, ctx);

  // Every command and subcommand reports to the same writer and throws instead of exiting, so runCli decides
  // the exit code in one place.
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs one command line; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], io: CliIo, clock?: Clock): Promise<number> {
  const ctx = createCliContext(io, clock);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return EXIT_OK;
      if (err.code === 'commander.executeSubCommandAsync') return EXIT_OK;
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (isAppError(err)) {
      io.stderr.write(`error: ${err.message}\n`);
      return exitCodeFor(err);
    }
    io.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}
