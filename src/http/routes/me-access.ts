import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { meAccessBody, setDefaultCompany } from '../../access/me-access.ts';
import { ok } from '../envelope.ts';
import { userCallerOf } from '../caller.ts';

export function xOrgOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['x-org'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value || undefined;
}

/** GET /auth/me/access (seed 002 §4.7) and the default-company preference it falls back to. */
export function meAccessRoutes(app: App, deps: Deps): void {
  app.get(
    '/auth/me/access',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'getMyAccess',
        tags: ['auth'],
        summary: 'Effective access (modules, permissions) of the caller in the x-org company and every company they belong to',
        security: [{ bearerAuth: [] }],
        headers: z.object({ 'x-org': z.string().max(100).optional() }),
      },
    },
    async (request, reply) => {
      const body = await meAccessBody(deps, userCallerOf(request), xOrgOf(request.headers));
      // Already the serialized envelope (cached as such): send as is.
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
    },
  );

  app.put(
    '/auth/me/default-company',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setDefaultCompany',
        tags: ['auth'],
        summary: 'Choose the company /auth/me/access uses when no x-org header is sent (null clears it)',
        security: [{ bearerAuth: [] }],
        body: z.object({ companyId: z.string().min(1).max(100).nullable() }),
      },
    },
    async (request) => {
      return ok(setDefaultCompany(deps, userCallerOf(request), request.body.companyId));
    },
  );
}
