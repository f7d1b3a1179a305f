import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';

export function jwksRoutes(app: App, deps: Deps): void {
  // Raw JWKS, no envelope (seed 002 §6.2): the platform keys, active and still-valid rotated ones.
  app.get(
    '/.well-known/jwks.json',
    { schema: { operationId: 'getJwks', tags: ['discovery'], summary: 'Platform JSON Web Key Set (raw, no envelope)' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300').removeHeader('pragma');
      return deps.keyring.jwks(deps.platformTenantId());
    },
  );
}
