import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { callerOf } from '../caller.ts';
import { createUserByAdmin, listUsers, patchUser, softDeleteUser } from '../../identity/user-admin.ts';
import { CreateUserRequest, PatchUserRequest } from '../../identity/user-input.ts';
import { AdminUserList, AdminUserOut, envelope, ErrorEnvelope, ListUsersQuery, Uuid } from '../schemas/user-admin.ts';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope, 409: ErrorEnvelope };
const UserIdParams = z.object({ id: Uuid });

/** Seed 002 §5.1: the global user directory and user lifecycle, Bearer + RBAC enforced in the services. */
export function internalUsersRoutes(app: App, deps: Deps): void {
  const security = [{ bearerAuth: [] }];

  app.get(
    '/internal/users',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listUsers',
        tags: ['internal users'],
        summary: 'List all users (platform staff only)',
        security,
        querystring: ListUsersQuery,
        response: { 200: envelope(AdminUserList), ...errors },
      },
    },
    async (request) => ok(listUsers(deps, callerOf(request), request.query)),
  );

  app.post(
    '/internal/users',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'createUser',
        tags: ['internal users'],
        summary: 'Create a user (PLATFORM_ADMIN / PLATFORM_SUPERADMIN); APPROVED and active by default',
        security,
        body: CreateUserRequest,
        response: { 201: envelope(AdminUserOut), ...errors },
      },
    },
    async (request, reply) => {
      const user = await createUserByAdmin(deps, callerOf(request), request.body);
      return reply.status(201).send(ok(user));
    },
  );

  app.patch(
    '/internal/users/:id',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'updateUser',
        tags: ['internal users'],
        summary: 'Partial update; each field needs the caller’s right for it (seed 002 §5.1)',
        security,
        params: UserIdParams,
        body: PatchUserRequest,
        response: { 200: envelope(AdminUserOut), ...errors },
      },
    },
    async (request) => ok(await patchUser(deps, callerOf(request), request.params.id, request.body)),
  );

  app.delete(
    '/internal/users/:id',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'deleteUser',
        tags: ['internal users'],
        summary: 'Soft-delete a user: deactivated, sessions revoked, tokens invalidated',
        security,
        params: UserIdParams,
        response: { 200: envelope(AdminUserOut), ...errors },
      },
    },
    async (request) => ok(softDeleteUser(deps, callerOf(request), request.params.id)),
  );
}
