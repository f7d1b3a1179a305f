/**
 * Which command lines the single binary's CLI core bundle runs (src/cli/core-main.ts): the light, read-only ones,
 * whose start is a target (issue 14). The binary's loader (scripts/binary/sea-main.ts) asks this before it loads
 * any JavaScript of the app, so this module imports nothing; every other command line runs the full app.
 */

/** The program's global options that take a value (src/cli/program.ts; test/cli/core-commands.test.ts checks). */
export const GLOBAL_OPTIONS_WITH_VALUE = ['--data-dir'];

/** Command groups and the subcommands of each that the core holds (users-read.ts READ_SUBCOMMANDS). */
const CORE_SUBCOMMANDS: Record<string, string[]> = { users: ['list', 'show'] };

/**
 * The command a command line names and the word after it (its subcommand, when it has one): the first words that
 * are neither a global option nor that option's value.
 */
export function commandNamed(argv: string[], optionsWithValue: string[] = GLOBAL_OPTIONS_WITH_VALUE): { name?: string; subcommand?: string } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return { name: argv[i + 1], subcommand: argv[i + 2] };
    if (!arg.startsWith('-')) return { name: arg, subcommand: argv[i + 1] };
    if (optionsWithValue.includes(arg)) i++;
  }
  return {};
}

/** True when the CLI core bundle holds everything `argv` runs (its output is the full app's, byte for byte). */
export function runsInCore(argv: string[]): boolean {
  const { name, subcommand } = commandNamed(argv);
  return name !== undefined && Object.hasOwn(CORE_SUBCOMMANDS, name) && subcommand !== undefined && CORE_SUBCOMMANDS[name].includes(subcommand);
}
