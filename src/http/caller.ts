import type { FastifyRequest } from 'fastify';
import { userPrincipal, type ApiKeyPrincipal, type ClientPrincipal, type UserPrincipal } from '../authorization/principal.ts';
import { principalOf } from './plugins/authenticate.ts';

/**
 * The authenticated caller as services take it, on the `http` channel: the tenant API key of a
 * `Bearer kimauth_<slug>_…` request (tenant routes only), else the user of the access token.
 */
export function callerOf(request: FastifyRequest): UserPrincipal | ApiKeyPrincipal | ClientPrincipal {
  if (request.apiKeyPrincipal) return request.apiKeyPrincipal;
  return userCallerOf(request);
}

/** The signed-in user, for routes only a person can call (their own sessions, /auth/me): API keys are 401 there. */
export function userCallerOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  return userPrincipal(principal.userId, principal.globalRole, 'http');
}
