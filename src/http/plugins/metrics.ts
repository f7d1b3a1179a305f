import { createServer, type Server } from 'node:http';
import type { Deps } from '../../app/deps.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { App } from '../server.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's metrics when KIMAUTH_METRICS=true, else null. */
    metrics: Metrics | null;
  }
}

/**
 * KIMAUTH_METRICS=true: observes every response (route pattern, method, status, latency) and serves
 * `GET /metrics` — on the API port, or on its own listener when KIMAUTH_METRICS_PORT is set (startMetricsListener).
 * Must be registered before the route families so the hook sees every route.
 */
export async function registerMetrics(app: App, deps: Deps): Promise<void> {
  if (!deps.config.metrics) {
    app.decorate('metrics', null);
    return;
  }
  // prom-client is loaded only when metrics are on.
  const { createMetrics } = await import('../../metrics/metrics.ts');
  const metrics = createMetrics(deps);
  app.decorate('metrics', metrics);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const body = route?.endsWith('/token') ? (request.body as { grant_type?: unknown } | undefined) : undefined;
    metrics.observeRequest({ method: request.method, route, status: reply.statusCode, seconds: reply.elapsedTime / 1000, grantType: body?.grant_type });
  });
  app.addHook('onClose', async () => metrics.close());
  if (deps.config.metricsPort !== undefined) return;
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['discovery'],
        summary: 'Prometheus metrics (text exposition format); only with KIMAUTH_METRICS=true',
      },
    },
    async (_request, reply) => {
      reply.header('content-type', metrics.contentType);
      return metrics.render();
    },
  );
}

/** The separate /metrics listener (KIMAUTH_METRICS_PORT) on KIMAUTH_HOST; resolves with its URL. */
export async function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
