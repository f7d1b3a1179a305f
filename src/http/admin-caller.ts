import type { FastifyRequest } from 'fastify';
import { userActor } from '../audit/actors.ts';
import type { AdminCaller } from '../memberships/admin-rights.ts';
import { principalOf } from './plugins/authenticate.ts';

/** The authenticated Bearer caller as the admin services see it: a user with a globalRole. */
export function adminCallerOf(request: FastifyRequest): AdminCaller {
  const principal = principalOf(request);
  return { kind: 'user', actor: userActor(principal.userId), userId: principal.userId, globalRole: principal.globalRole };
}
