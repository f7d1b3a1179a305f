import type { CommandGroup } from './command-line.ts';

/**
 * The command groups of the single binary's CLI core (src/cli/core-main.ts): for the command lines core-commands.ts
 * runsInCore, registered as program.ts registers them for those subcommands (users: list and show only).
 */
export const CORE_COMMAND_GROUPS: CommandGroup[] = [
  { name: 'users', load: () => import('./commands/users-read.ts').then((m) => (program, ctx) => m.registerUsersCommand(program, ctx, [])) },
];
