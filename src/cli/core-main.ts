/**
 * The entry of the single binary's CLI core bundle: the command lines of src/cli/core-commands.ts runsInCore, with
 * the same program and command modules as the full CLI (src/cli/main.ts) but none of the other groups, so a start
 * reads a fifth of the JavaScript. Its loader (scripts/binary/sea-main.ts) runs it only for those command lines.
 */
import { runCliWith } from './command-line.ts';
import { CORE_COMMAND_GROUPS } from './core-groups.ts';
import { startCli } from './start.ts';

startCli((argv, io) => runCliWith(CORE_COMMAND_GROUPS, argv, io));
