import type { Deps } from '../app/deps.ts';
import { forbidden } from '../app/errors.ts';
import { isPlatformAdmin, isPlatformStaff } from '../access/platform-staff.ts';
import { listCompanyMembershipsOfUser } from '../memberships/memberships.ts';
import type { AdminCaller } from '../memberships/admin-rights.ts';
import type { ProfileActor } from './actors.ts';

/**
 * Who may do what with payment profiles, payments and OSS reports: every such decision of this issue, in one
 * place, to move into src/authorization/ once that policy module exists (API keys with `payments:write` /
 * `reports:read` join here too).
 *
 * - Finance roles of the tenant (FINANCE, TENANT_SUPERADMIN) and platform admins: everything; the operator CLI too.
 * - Platform staff (moderators included): read payments, profiles and OSS reports.
 * - Any member: manage their own payment profiles.
 */
const FINANCE_ROLES = ['FINANCE', 'TENANT_SUPERADMIN'];

function hasFinanceRole(deps: Deps, userId: string, tenantId: string): boolean {
  return listCompanyMembershipsOfUser(deps, userId, { companyId: tenantId, activeOnly: true }).some((m) => FINANCE_ROLES.includes(m.role));
}

function mayManageAll(deps: Deps, caller: AdminCaller, tenantId: string): boolean {
  return caller.kind === 'operator' || isPlatformAdmin(caller.globalRole) || hasFinanceRole(deps, caller.userId, tenantId);
}

function mayReadAll(deps: Deps, caller: AdminCaller, tenantId: string): boolean {
  return caller.kind === 'operator' || isPlatformStaff(caller.globalRole) || hasFinanceRole(deps, caller.userId, tenantId);
}

const isSelf = (caller: AdminCaller, owner: ProfileActor) => caller.kind === 'user' && owner.type === 'user' && owner.id === caller.userId;

export function assertMayManageProfileOf(deps: Deps, caller: AdminCaller, tenantId: string, owner: ProfileActor): void {
  if (isSelf(caller, owner) || mayManageAll(deps, caller, tenantId)) return;
  throw forbidden('Only the owner, FINANCE or TENANT_SUPERADMIN may change this payment profile');
}

/** Everyone's profiles, or (false) only the caller's own. */
export function mayListEveryProfile(deps: Deps, caller: AdminCaller, tenantId: string): boolean {
  return mayReadAll(deps, caller, tenantId);
}

export function assertMayReadProfileOf(deps: Deps, caller: AdminCaller, tenantId: string, owner: ProfileActor): void {
  if (isSelf(caller, owner) || mayReadAll(deps, caller, tenantId)) return;
  throw forbidden('This payment profile belongs to someone else');
}

export function assertMayReportPayments(deps: Deps, caller: AdminCaller, tenantId: string): void {
  if (mayManageAll(deps, caller, tenantId)) return;
  throw forbidden('Reporting payments and refunds needs FINANCE or TENANT_SUPERADMIN (or an API key with payments:write)');
}

export function assertMayReadPayments(deps: Deps, caller: AdminCaller, tenantId: string): void {
  if (mayReadAll(deps, caller, tenantId)) return;
  throw forbidden('Payments are for FINANCE, TENANT_SUPERADMIN and platform staff');
}

export function assertMayReadOssReports(deps: Deps, caller: AdminCaller, tenantId: string): void {
  if (mayReadAll(deps, caller, tenantId)) return;
  throw forbidden('OSS reports are for FINANCE, TENANT_SUPERADMIN and platform staff (or an API key with reports:read)');
}
