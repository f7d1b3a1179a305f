import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { errorEnvelope } from '../plugins/errors.ts';
import { checkReadiness } from '../../app/readiness.ts';

export function healthRoutes(app: App, deps: Deps): void {
  app.get('/health', { schema: { operationId: 'getHealth', tags: ['discovery'], summary: 'Liveness: the process is up' } }, async () =>
    ok({ status: 'ok' }),
  );

  app.get(
    '/ready',
    { schema: { operationId: 'getReadiness', tags: ['discovery'], summary: 'Readiness: database writable, migrations current, keys loadable' } },
    async (_request, reply) => {
      const result = checkReadiness(deps);
      if (!result.ready) {
        return reply.status(503).send({ ...errorEnvelope('not_ready', result.failures.join('; ')), checks: result.checks });
      }
      return ok({ status: 'ready', checks: result.checks });
    },
  );
}
