import { runCli } from './program.ts';
import { startCli } from './start.ts';

startCli(runCli);
