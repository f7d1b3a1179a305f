import type { FastifyRequest } from 'fastify';
import { userPrincipal, type UserPrincipal } from '../authorization/principal.ts';
import { principalOf } from './plugins/authenticate.ts';

/** The authenticated Bearer caller as services take it: a user principal on the `http` channel. */
export function callerOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  return userPrincipal(principal.userId, principal.globalRole, 'http');
}
