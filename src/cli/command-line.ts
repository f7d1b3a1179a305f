import { Command, CommanderError } from 'commander';
import { ConfigError } from '../app/environment.ts';
import type { Clock } from '../app/clock.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeFor, isAppError } from '../app/errors.ts';
import { VERSION } from '../app/version.ts';
import { createCliContext, type CliContext } from './context.ts';
import { commandNamed } from './core-commands.ts';
import type { CliIo } from './io.ts';

/** A command group's register function: adds its top-level command (and subcommands) to the program. */
export type RegisterCommand = (program: Command, ctx: CliContext) => unknown;

/** One top-level command and how to load its register function (src/cli/program.ts COMMAND_GROUPS lists them). */
export interface CommandGroup {
  name: string;
  load: (subcommand: string | undefined) => Promise<RegisterCommand>;
}

/** The global options that take a value, by every name they go by. */
function optionsWithValue(program: Command): string[] {
  return program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]).filter((n): n is string => Boolean(n));
}

/** Which groups a command line needs: the one it names, none for a bare `--version`, else all (help, typos). */
function groupsFor(all: CommandGroup[], argv: string[] | undefined, program: Command): { groups: CommandGroup[]; subcommand?: string } {
  if (!argv) return { groups: all };
  const { name, subcommand } = commandNamed(argv, optionsWithValue(program));
  const named = all.filter((g) => g.name === name);
  if (named.length) return { groups: named, subcommand };
  if (name === undefined && argv.some((a) => a === '-V' || a === '--version')) return { groups: [] };
  return { groups: all };
}

/** The program with those of `all` the command groups `argv` needs (all of them without `argv`, e.g. to walk the tree). */
export async function buildProgramWith(all: CommandGroup[], ctx: CliContext, argv?: string[]): Promise<Command> {
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
  const { groups, subcommand } = groupsFor(all, argv, program);
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

/** Runs one command line with the given command groups; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runCliWith(all: CommandGroup[], argv: string[], io: CliIo, clock?: Clock): Promise<number> {
  const ctx = createCliContext(io, clock);
  try {
    const program = await buildProgramWith(all, ctx, argv);
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
