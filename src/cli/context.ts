import type { Command } from 'commander';
import type { Config, ConfigOverrides } from '../app/config.ts';
import type { Clock } from '../app/clock.ts';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import type { CliIo } from './io.ts';
import { Output } from './output.ts';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/** What every command gets: the outside world, and the one way to reach config and services. */
export interface CliContext {
  io: CliIo;
  /** Tests inject a fixed clock; otherwise the system clock. */
  clock?: Clock;
  /** Loads the configuration module (zod); buildProgram awaits it before any command group registers. */
  loadConfigModule(): Promise<void>;
  output(cmd: Command): Output;
  config(cmd: Command, flags?: ConfigOverrides): Config;
  /** Opens the initialised instance (applying pending migrations first), runs `fn`, always closes. */
  withDeps<T>(cmd: Command, fn: (deps: Deps, out: Output) => Promise<T> | T, flags?: ConfigOverrides): Promise<T>;
  /**
   * For commands that only read: opens the instance without applying migrations, so looking (`keys list`,
   * `audit verify`…) never changes a data dir, e.g. one a newer binary has not upgraded yet. Pending migrations
   * are named in a note; `serve` or any command that writes applies them.
   */
  withReadDeps<T>(cmd: Command, fn: (deps: Deps, out: Output) => Promise<T> | T, flags?: ConfigOverrides): Promise<T>;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function createCliContext(io: CliIo, clock?: Clock): CliContext {
  let configModule: typeof import('../app/config.ts') | undefined;
  async function openInstance<T>(
    cmd: Command,
    fn: (deps: Deps, out: Output) => Promise<T> | T,
    flags: ConfigOverrides | undefined,
    { migrate }: { migrate: boolean },
  ): Promise<T> {
    const config = ctx.config(cmd, flags);
    // Loaded here, not at the top: the services, SQLite and argon2 cost start time that `--help` does not need.
    const [{ isInitialised, pendingMigrationTags }, { buildDeps }] = await Promise.all([import('../app/instance.ts'), import('../app/deps.ts')]);
    if (!isInitialised(config.dataDir)) {
      throw new AppError('not_found', `${config.dataDir} is not a kimauth data dir; run \`kimauth init\` first`);
    }
    const deps = buildDeps({ config, clock, migrate });
    try {
      const out = ctx.output(cmd);
      if (!migrate) {
        const pending = pendingMigrationTags(deps);
        if (pending.length) out.note(`note: ${pending.length} migration(s) pending (${pending.join(', ')}); this command only reads and leaves them to \`kimauth serve\` or a command that writes`);
      }
      return await fn(deps, out);
    } finally {
      deps.close();
    }
  }
  const ctx: CliContext = {
    io,
    clock,
    async loadConfigModule() {
      configModule ??= await import('../app/config.ts');
    },
    output: (cmd) => {
      const g = globals(cmd);
      return new Output(io, Boolean(g.json), Boolean(g.quiet));
    },
    config: (cmd, flags = {}) => {
      if (!configModule) throw new Error('CliContext.loadConfigModule() must be awaited before a command runs');
      return configModule.loadConfig({ flags: { dataDir: globals(cmd).dataDir, ...flags }, env: io.env });
    },
    withDeps: (cmd, fn, flags) => openInstance(cmd, fn, flags, { migrate: true }),
    withReadDeps: (cmd, fn, flags) => openInstance(cmd, fn, flags, { migrate: false }),
  };
  return ctx;
}
