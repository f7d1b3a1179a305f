import { Command, CommanderError } from 'commander';
import { ConfigError } from '../app/environment.ts';
import type { Clock } from '../app/clock.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor, isAppError } from '../app/errors.ts';
import { VERSION } from '../app/version.ts';
import { createCliContext, type CliContext } from './context.ts';
import type { CliIo } from './io.ts';

/** A command group's register function: adds its top-level command (and subcommands) to the program. */
export type RegisterCommand = (program: Command, ctx: CliContext) => unknown;

/**
 * Command groups, each loaded only when its command runs, so `kimauth --version` or `kimauth users list` does
 * not load the HTTP server, ink or every service. To add a group, add ONE line: its top-level command name and
 * its register function, e.g.
 *   { name: 'backup', load: () => import('./commands/backup.ts').then((m) => m.registerBackupCommand) },
 * `kimauth --help`, `kimauth help …` and an unknown command load every group, so help lists them all.
 */
const COMMAND_GROUPS: Array<{ name: string; load: (subcommand: string | undefined) => Promise<RegisterCommand> }> = [
  { name: 'init', load: () => import('./commands/init.ts').then((m) => m.registerInitCommand) },
  { name: 'serve', load: () => import('./commands/serve.ts').then((m) => m.registerServeCommand) },
  { name: 'tenants', load: () => import('./commands/tenants.ts').then((m) => m.registerTenantsCommand) },
  { name: 'keys', load: () => import('./commands/keys.ts').then((m) => m.registerKeysCommand) },
  { name: 'mail', load: () => import('./commands/mail.ts').then((m) => m.registerMailCommand) },
  // `users` is large: it loads only the subcommand modules the named subcommand needs (commands/users.ts).
  { name: 'users', load: (subcommand) => import('./commands/users.ts').then((m) => m.usersCommandFor(subcommand)) },
  { name: 'audit', load: () => import('./commands/audit.ts').then((m) => m.registerAuditCommand) },
  { name: 'invitations', load: () => import('./commands/invitations.ts').then((m) => m.registerInvitationsCommand) },
  { name: 'maintenance', load: () => import('./commands/maintenance.ts').then((m) => m.registerMaintenanceCommand) },
  { name: 'payment-profiles', load: () => import('./commands/payment-profiles.ts').then((m) => m.registerPaymentProfilesCommand) },
  { name: 'fx', load: () => import('./commands/fx.ts').then((m) => m.registerFxCommand) },
  { name: 'clients', load: () => import('./commands/clients.ts').then((m) => m.registerClientsCommand) },
  { name: 'roles', load: () => import('./commands/roles.ts').then((m) => m.registerRolesCommand) },
  { name: 'groups', load: () => import('./commands/groups.ts').then((m) => m.registerGroupsCommand) },
  { name: 'ownership', load: () => import('./commands/ownership.ts').then((m) => m.registerOwnershipCommand) },
  { name: 'agents', load: () => import('./commands/agents.ts').then((m) => m.registerAgentsCommand) },
  { name: 'oss-report', load: () => import('./commands/oss-report.ts').then((m) => m.registerOssReportCommand) },
  { name: 'api-keys', load: () => import('./commands/api-keys.ts').then((m) => m.registerApiKeysCommand) },
  { name: 'webhooks', load: () => import('./commands/webhooks.ts').then((m) => m.registerWebhooksCommand) },
  { name: 'backup', load: () => import('./commands/backup.ts').then((m) => m.registerBackupCommand) },
  { name: 'restore', load: () => import('./commands/backup.ts').then((m) => m.registerRestoreCommand) },
  { name: 'doctor', load: () => import('./commands/doctor.ts').then((m) => m.registerDoctorCommand) },
  { name: 'internal', load: () => import('./commands/internal.ts').then((m) => m.registerInternalCommand) },
];

/**
 * The command a command line names and the word after it (its subcommand, when it has one): the first words that
 * are neither a global option nor that option's value.
 */
function commandNamed(argv: string[], program: Command): { name?: string; subcommand?: string } {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return { name: argv[i + 1], subcommand: argv[i + 2] };
    if (!arg.startsWith('-')) return { name: arg, subcommand: argv[i + 1] };
    if (takesValue.has(arg)) i++;
  }
  return {};
}

/** Which groups a command line needs: the one it names, none for a bare `--version`, else all (help, typos). */
function groupsFor(argv: string[] | undefined, program: Command): { groups: typeof COMMAND_GROUPS; subcommand?: string } {
  if (!argv) return { groups: COMMAND_GROUPS };
  const { name, subcommand } = commandNamed(argv, program);
  const named = COMMAND_GROUPS.filter((g) => g.name === name);
  if (named.length) return { groups: named, subcommand };
  if (name === undefined && argv.some((a) => a === '-V' || a === '--version')) return { groups: [] };
  return { groups: COMMAND_GROUPS };
}

/** The program with the command groups `argv` needs (all of them without `argv`, e.g. to walk the tree). */
export async function buildProgram(ctx: CliContext, argv?: string[]): Promise<Command> {
  const program = new Command('kimauth')
    .description('kimauth — identity and access appliance: HTTP server and operator CLI over an embedded SQLite store')
    .version(`${VERSION} (Node.js ${process.version})`, '-V, --version', 'print the version and the Node.js it runs on')
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
  const { groups, subcommand } = groupsFor(argv, program);
  if (groups.length) await ctx.loadConfigModule();
  const registers = await Promise.all(groups.map((g) => g.load(subcommand)));
  for (const register of registers) register(program, ctx);

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
  try {
    const program = await buildProgram(ctx, argv);
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
