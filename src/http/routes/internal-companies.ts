import { z } from 'zod';
import type { App } from '../server.ts';
import type { Deps } from '../../app/deps.ts';
import { ok } from '../envelope.ts';
import { callerOf } from '../caller.ts';
import { listCompanyUsers } from '../../identity/user-admin.ts';
import { upsertBusinessUnitMembership, upsertCompanyMembership } from '../../memberships/memberships.ts';
import { UpsertBusinessUnitMembershipRequest, UpsertCompanyMembershipRequest } from '../../memberships/membership-input.ts';
import { AdminUserList, BusinessUnitMembershipOut, CompanyMembershipOut, envelope, ErrorEnvelope, Uuid } from '../schemas/user-admin.ts';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 403: ErrorEnvelope, 404: ErrorEnvelope };
const CompanyParams = z.object({ companyId: Uuid });
const BusinessUnitParams = z.object({ companyId: Uuid, businessUnitId: Uuid });

/** Seed 002 §5.1/§5.1a: users and memberships of one company (a tenant) and its business units. */
export function internalCompaniesRoutes(app: App, deps: Deps): void {
  const security = [{ bearerAuth: [] }];

  app.get(
    '/internal/companies/:companyId/users',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listCompanyUsers',
        tags: ['internal companies'],
        summary: 'Users with an active membership in the company (platform staff or company rank ≥ MANAGER)',
        security,
        params: CompanyParams,
        response: { 200: envelope(AdminUserList), ...errors },
      },
    },
    async (request) => ok(listCompanyUsers(deps, callerOf(request), request.params.companyId)),
  );

  app.post(
    '/internal/companies/:companyId/memberships',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'upsertCompanyMembership',
        tags: ['internal companies'],
        summary: 'Create or update a company membership (idempotent; platform admin or company rank ≥ ADMIN)',
        security,
        params: CompanyParams,
        body: UpsertCompanyMembershipRequest,
        response: { 200: envelope(CompanyMembershipOut), ...errors },
      },
    },
    async (request) => ok(upsertCompanyMembership(deps, callerOf(request), request.params.companyId, request.body)),
  );

  app.get(
    '/internal/companies/:companyId/business-units/:businessUnitId/users',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listBusinessUnitUsers',
        tags: ['internal companies'],
        summary: 'Users with an active membership in the business unit (platform staff or company rank ≥ MANAGER)',
        security,
        params: BusinessUnitParams,
        response: { 200: envelope(AdminUserList), ...errors },
      },
    },
    async (request) => ok(listCompanyUsers(deps, callerOf(request), request.params.companyId, request.params.businessUnitId)),
  );

  app.post(
    '/internal/companies/:companyId/business-units/:businessUnitId/memberships',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'upsertBusinessUnitMembership',
        tags: ['internal companies'],
        summary: 'Create or update a business-unit membership (idempotent; platform admin or company rank ≥ ADMIN)',
        security,
        params: BusinessUnitParams,
        body: UpsertBusinessUnitMembershipRequest,
        response: { 200: envelope(BusinessUnitMembershipOut), ...errors },
      },
    },
    async (request) =>
      ok(upsertBusinessUnitMembership(deps, callerOf(request), request.params.companyId, request.params.businessUnitId, request.body)),
  );
}
