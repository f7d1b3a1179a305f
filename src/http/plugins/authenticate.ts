import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../app/errors.ts';
import { createAccessTokenVerifier, type AccessClaims } from '../../tokens/access-tokens.ts';
import type { ApprovalStatus, GlobalRole } from '../../identity/tables.ts';
import { accountStatusError } from '../../identity/account-status.ts';
import { authenticateApiKey } from '../../api-keys/api-keys.ts';
import { looksLikeApiKey } from '../../api-keys/key-format.ts';
import type { ApiKeyPrincipal, ClientPrincipal } from '../../authorization/principal.ts';

/** Who is calling, after the Bearer token, its session and tokenVersion were checked. */
export interface Principal {
  userId: string;
  sessionId: string;
  globalRole: GlobalRole;
  tokenVersion: number;
  claims: AccessClaims;
}

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

interface SessionState {
  revoked_at: number | null;
  expires_at: number;
  token_version: number;
  global_role: GlobalRole;
  is_active: number;
  deleted_at: number | null;
  approval_status: string;
}

/**
 * A preHandler for every Bearer route. A credential that starts `kimauth_` is a tenant API key (checked by
 * authenticateApiKey); anything else is an access token. Order of checks for a token: token (signature, alg, iss, aud, exp) → session live
 * (else 401 session_revoked) → account usable (else the login codes) → tokenVersion current (else 401, so the
 * client refreshes and gets a token with the new globalRole/tokenVersion).
 */
export function createAuthenticate(deps: Deps) {
  const verify = createAccessTokenVerifier(deps);
  const sessionState = deps.sqlite.prepare(
    `SELECT s.revoked_at, s.expires_at, u.token_version, u.global_role, u.is_active, u.deleted_at, u.approval_status
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ? AND s.user_id = ?`,
  );

  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new AppError('unauthorized', 'Missing or malformed Authorization: Bearer header');
    if (looksLikeApiKey(match[1])) {
      // Tenant API keys are good on `/t/{slug}/…` routes only, and only for their own tenant (src/api-keys).
      request.apiKeyPrincipal = authenticateApiKey(deps, match[1], (request.params as { slug?: string } | undefined)?.slug);
      return;
    }
    const claims = await verify(match[1]);
    const state = sessionState.get(claims.sessionId, claims.sub) as SessionState | undefined;
    if (!state || state.revoked_at !== null || state.expires_at <= deps.clock.nowMs()) {
      throw new AppError('session_revoked', 'Session has been revoked');
    }
    const blocked = accountStatusError({
      approvalStatus: state.approval_status as ApprovalStatus,
      isActive: state.is_active === 1,
      deletedAt: state.deleted_at,
    });
    if (blocked) throw blocked;
    if (state.token_version !== claims.tokenVersion) {
      throw new AppError('unauthorized', 'Access token is stale (tokenVersion changed); refresh it');
    }
    request.principal = {
      userId: claims.sub,
      sessionId: claims.sessionId,
      globalRole: state.global_role,
      tokenVersion: state.token_version,
      claims,
    };
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
