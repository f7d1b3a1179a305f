import type { Command } from 'commander';
import { buildDeps } from '../../app/deps.ts';
import { initInstance, isInitialised } from '../../app/instance.ts';
import { createLogger } from '../../app/logger.ts';
import { cliActor } from '../../audit/actors.ts';
import type { CliContext } from '../context.ts';
import type { WalCheckpointer } from '../../db/wal-checkpointer.ts';
import { DEFAULT_ADMIN_EMAIL } from './init.ts';

interface ServeOptions {
  host?: string;
  port?: string;
  publicUrl?: string;
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP server and the scheduler; initialises the data dir on the very first start')
    .option('--host <host>', 'listen address (KIMAUTH_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port (KIMAUTH_PORT, default 3097; 0 = any free port)')
    .option('--public-url <url>', 'base URL of this instance (KIMAUTH_PUBLIC_URL)')
    .addHelpText(
      'after',
      `
Logs JSON lines on stdout. SIGINT/SIGTERM stop it cleanly: requests in flight finish, the database is closed.

Examples:
  $ kimauth serve
  $ KIMAUTH_PORT=8080 KIMAUTH_PUBLIC_URL=https://auth.example.com kimauth --data-dir /var/lib/kimauth serve`,
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const config = ctx.config(cmd, { host: opts.host, port: opts.port, publicUrl: opts.publicUrl });
      if (!isInitialised(config.dataDir)) {
        const result = await initInstance({ config, adminEmail: DEFAULT_ADMIN_EMAIL, actor: cliActor(), clock: ctx.clock });
        // Printed once, on the first start only; later starts find the data dir initialised.
        ctx.io.stderr.write(
          `kimauth: initialised ${result.dataDir}\n` +
            `kimauth: platform admin ${result.adminEmail} / password ${result.generatedPassword}\n` +
            `kimauth: (shown once — store it now)\n`,
        );
      }
      const logger = createLogger(config.logLevel, { write: (s: string) => ctx.io.stdout.write(s) } as never);
      const deps = buildDeps({ config, clock: ctx.clock, logger, migrate: true });
      let server;
      let checkpointer: WalCheckpointer | undefined;
      try {
        const { startServeCheckpoints } = await import('../../app/wal-checkpoints.ts');
        checkpointer = await startServeCheckpoints(deps);
        // Loaded here so that other commands don't pay for fastify at start-up.
        const { startServer } = await import('../../http/runtime.ts');
        server = await startServer(deps);
      } catch (err) {
        await checkpointer?.stop();
        deps.close();
        throw err;
      }
      const signal = await new Promise<string>((resolve) => ctx.io.onShutdownSignal(resolve));
      logger.info({ signal }, 'shutting down');
      await checkpointer?.stop();
      await server.close();
      logger.info('stopped');
    });
}
