import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../app/errors.ts';
import { createBearerVerifier, type BearerPrincipal } from '../../sessions/verify-bearer.ts';
import { bearerCredential } from '../bearer.ts';
import { authenticateApiKey } from '../../api-keys/api-keys.ts';
import { looksLikeApiKey } from '../../api-keys/key-format.ts';
import type { ApiKeyPrincipal, ClientPrincipal } from '../../authorization/principal.ts';

/** Who is calling, after the Bearer token, its session and tokenVersion were checked (src/sessions/verify-bearer.ts). */
export type Principal = BearerPrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set instead of `principal` when a tenant API key (`Bearer kimauth_<slug>_…`) authenticated the request. */
    apiKeyPrincipal: ApiKeyPrincipal | ClientPrincipal | null;
  }
  interface FastifyInstance {
    /** For Bearer routes: `{ preHandler: app.authenticate }` (moved to onRequest by authenticateBeforeParsing). */
    authenticate: Authenticate;
  }
}

/**
 * A preHandler for every Bearer route. A credential that starts `kimauth_` is a tenant API key (checked by
 * authenticateApiKey); anything else is a platform access token, checked by the sessions context's verifyBearer.
 */
export function createAuthenticate(deps: Deps) {
  const verifyBearer = createBearerVerifier(deps);

  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const credential = bearerCredential(request.headers.authorization);
    if (!credential) throw new AppError('unauthorized', 'Missing or malformed Authorization: Bearer header');
    if (looksLikeApiKey(credential)) {
      // Tenant API keys are good on `/t/{slug}/…` routes only, and only for their own tenant (src/api-keys).
      request.apiKeyPrincipal = authenticateApiKey(deps, credential, (request.params as { slug?: string } | undefined)?.slug, 'http');
      return;
    }
    request.principal = await verifyBearer(credential);
  };
}

export type Authenticate = ReturnType<typeof createAuthenticate>;

/** The principal of an authenticated route; a route without the preHandler is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'Not authenticated');
  return request.principal;
}

type Hook = (...args: never[]) => unknown;
const hookList = (hooks: unknown): Hook[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks as Hook]);

/**
 * An onRoute hook that moves `app.authenticate` from a route's preHandler to the end of its onRequest hooks. Route
 * files keep writing `{ preHandler: app.authenticate }`; the check then runs before the body is parsed and validated,
 * so an unauthenticated request is 401 and never a 400 that lists the route's required fields (or a JSON error).
 */
export function authenticateBeforeParsing(authenticate: Authenticate) {
  return (route: RouteOptions): void => {
    const preHandlers = hookList(route.preHandler);
    if (!preHandlers.includes(authenticate as Hook)) return;
    const rest = preHandlers.filter((hook) => hook !== (authenticate as Hook));
    (route as { preHandler?: unknown }).preHandler = rest.length > 0 ? rest : undefined;
    (route as { onRequest?: unknown }).onRequest = [...hookList(route.onRequest), authenticate];
  };
}
