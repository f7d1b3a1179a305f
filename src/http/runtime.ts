import type { Deps } from '../app/deps.ts';
import { createScheduler, type Scheduler } from '../jobs/scheduler.ts';
import { registerJobs } from '../jobs/registry.ts';
import { buildServer, type App } from './server.ts';
import { checkReadiness } from '../app/readiness.ts';
import { publishHeadsAtStart } from '../audit/head-job.ts';
import { startMetricsListener } from './plugins/metrics.ts';

export interface RunningServer {
  app: App;
  scheduler: Scheduler;
  url: string;
  /** The separate /metrics listener's URL (KIMAUTH_METRICS_PORT), if any. */
  metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish, stops jobs, closes the database. */
  close(): Promise<void>;
}

/** What `serve` runs: the HTTP server and the scheduler over one Deps. Used by the CLI, e2e tests and bench. */
export async function startServer(deps: Deps, options: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const app = await buildServer(deps, { logRequests: true });
  const scheduler = createScheduler(deps.logger);
  registerJobs(scheduler, deps);

  const readiness = checkReadiness(deps);
  if (!readiness.ready) deps.logger.error({ failures: readiness.failures }, 'starting, but not ready');

  const address = await app.listen({ host: options.host ?? deps.config.host, port: options.port ?? deps.config.port });
  scheduler.start();
  // Every tenant has a published head from the first minute, not only after the first hourly tick.
  await publishHeadsAtStart(deps);
  const url = address.replace('[::1]', 'localhost');
  const metricsListener =
    app.metrics && deps.config.metricsPort !== undefined
      ? await startMetricsListener(app.metrics, options.host ?? deps.config.host, deps.config.metricsPort)
      : undefined;
  deps.logger.info({ url, metricsUrl: metricsListener?.url, jobs: scheduler.status().map((j) => j.name) }, 'kimauth listening');

  let closing: Promise<void> | undefined;
  return {
    app,
    scheduler,
    url,
    metricsUrl: metricsListener?.url,
    close() {
      closing ??= (async () => {
        await metricsListener?.close();
        await app.close();
        await scheduler.stop();
        await deps.background.idle();
        deps.close();
      })();
      return closing;
    },
  };
}
