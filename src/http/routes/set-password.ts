import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { setPasswordWithToken } from '../../identity/set-password-tokens.ts';
import { ANONYMOUS_HTTP } from '../../audit/actors.ts';
import { envelope, ErrorEnvelope, SetPasswordRequest } from '../schemas/user-admin.ts';

/** POST /auth/set-password: the link in the "user created" mail lets the new user choose a password. */
export function setPasswordRoutes(app: App, deps: Deps): void {
  app.post(
    '/auth/set-password',
    {
      // Anonymous callers guessing one-time tokens draw from the login bucket.
      onRequest: app.ipRateLimit,
      schema: {
        operationId: 'setPassword',
        tags: ['auth'],
        summary: 'Set a password with the one-time link from the welcome mail (7 days, single use)',
        body: SetPasswordRequest,
        response: { 200: envelope(z.object({ status: z.literal('ok') })), 400: ErrorEnvelope },
      },
    },
    async (request) => {
      await setPasswordWithToken(deps, ANONYMOUS_HTTP, request.body.token, request.body.newPassword);
      return ok({ status: 'ok' as const });
    },
  );
}
