import type { Scope } from '../authorization/scopes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API-key scope a tenant API route needs (null: API keys may not call it). */
    requiredScope?: Scope | null;
  }
}

/**
 * What a tenant API route (`/t/{slug}/…`) declares about its callers, in one place: a Bearer access token of a
 * person, or a tenant API key (`Bearer kimauth_<slug>_…`) holding `scope`. Spread into the route options:
 *
 *   app.get('/t/:slug/api/v1/webhooks', { preHandler: app.authenticate, ...tenantApi('webhooks:read'), schema: {
 *     operationId: 'listWebhooks', ...tenantApiDocs('webhooks:read'), … } }, handler)
 *
 * /openapi.json then names the scope three ways: the `tenantApiKey` security requirement's role list (OpenAPI 3.1),
 * the `x-required-scope` extension (documentOperations in openapi.ts, from `config.requiredScope`) and the
 * operation's description. `null`: no API key may call the route (people only; API-key management).
 */
export function tenantApi(scope: Scope | null): { config: { requiredScope: Scope | null } } {
  return { config: { requiredScope: scope } };
}

export function tenantApiDocs(scope: Scope | null, description?: string): { security: Array<Record<string, string[]>>; description: string } {
  const who = scope
    ? `Callers: a Bearer access token of a person with the right in the tenant, or a tenant API key with scope \`${scope}\`` +
      (scope.endsWith(':read') ? ` (or \`${scope.replace(/:read$/, ':write')}\`)` : '') + '.'
    : 'Callers: a Bearer access token of a person with the right in the tenant; API keys may not call this route.';
  return {
    security: scope ? [{ bearerAuth: [] }, { tenantApiKey: [scope] }] : [{ bearerAuth: [] }],
    description: description ? `${description}\n\n${who}` : who,
  };
}
