import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getCompanyEntitlements } from '../access/entitlements.ts';
import { ownAccessFor, readGrants, writeGrants } from '../access/membership-access.ts';
import { normalizePermissions } from '../access/modules.ts';
import { findUserById } from '../identity/users.ts';
import { activeMembershipsOf } from '../memberships/active-memberships.ts';
import { memberIdsOfCompany } from '../memberships/memberships.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { TenantRow } from '../tenants/tables.ts';
import { describePath, loadEffectivePermissions, type EffectivePermissions } from './effective-permissions.ts';
import { groupRef } from './groups.ts';
import { trackPermissionChanges } from './permission-changes.ts';
import { memberOf, tenantFor } from './tenant-scope.ts';

/** `users permissions show`, `GET …/users/{id}/permissions`: every effective permission with every path it arrives by. */
export interface PermissionExplanation {
  tenant: { id: string; slug: string };
  subject: { type: 'user' | 'group'; id: string; email?: string; name?: string };
  permissions: Array<{ permission: string; paths: string[] }>;
  dropped: Array<{ permission: string; module: string; paths: string[] }>;
  groups: string[];
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  modules: Record<string, boolean>;
}

export function explanationOf(tenant: TenantRow, subject: PermissionExplanation['subject'], eff: EffectivePermissions): PermissionExplanation {
  return {
    tenant: { id: tenant.id, slug: tenant.slug },
    subject,
    permissions: eff.permissions.map((permission) => ({ permission, paths: eff.paths[permission].map(describePath) })),
    dropped: eff.dropped.map((d) => ({ permission: d.permission, module: d.module, paths: d.paths.map(describePath) })),
    groups: eff.groups,
    realmRoles: eff.realmRoles,
    clientRoles: eff.clientRoles,
    modules: eff.modules,
  };
}

export async function explainUserPermissions(deps: Deps, caller: Principal, tenantRef: string, userRef: string): Promise<PermissionExplanation> {
  const tenant = tenantFor(deps, caller, tenantRef, 'grants:read');
  const user = memberOf(deps, tenant, userRef);
  const eff = await loadEffectivePermissions(deps, tenant.id, { type: 'user', id: user.id });
  return explanationOf(tenant, { type: 'user', id: user.id, email: user.email }, eff);
}

/** A group as a subject: what an act-as-group session or an agent it owns starts from. */
export async function explainGroupPermissions(deps: Deps, caller: Principal, tenantRef: string, groupRefText: string): Promise<PermissionExplanation> {
  const tenant = tenantFor(deps, caller, tenantRef, 'groups:read');
  const group = groupRef(deps, tenant, groupRefText);
  const eff = await loadEffectivePermissions(deps, tenant.id, { type: 'group', id: group.id });
  return explanationOf(tenant, { type: 'group', id: group.id, name: group.name }, eff);
}

function roleIn(deps: Deps, tenantId: string, userId: string): CompanyRole {
  const membership = activeMembershipsOf(deps, userId).find((m) => m.companyId === tenantId);
  if (!membership) throw notFound('Membership');
  return membership.role;
}

/**
 * Direct grants: the membership's permissions (the rows `users access set` writes), added or removed. A signed-in
 * caller also stays within its delegation (§15: nobody grants what they do not control).
 */
async function changeDirectGrants(deps: Deps, caller: Principal, tenantRef: string, userRef: string, permissions: readonly string[], grant: boolean): Promise<PermissionExplanation> {
  const tenant = tenantFor(deps, caller, tenantRef, 'grants:write');
  const user = memberOf(deps, tenant, userRef);
  const wanted = normalizePermissions(permissions);
  const ownAccess = caller.scopes ? null : await ownAccessFor(deps, caller, tenant.id);
  await getCompanyEntitlements(deps, tenant.id);
  deps.sqlite.transaction(() => {
    const held = readGrants(deps, tenant.id, user.id).permissions;
    const changing = wanted.filter((p) => held.includes(p) !== grant);
    if (!grant && changing.length < wanted.length) {
      throw notFound(`Direct grant of ${wanted.filter((p) => !held.includes(p)).join(', ')} to "${userRef}"`);
    }
    if (!caller.scopes) {
      authorize(deps, caller, 'access.change', {
        companyId: tenant.id,
        targetRole: roleIn(deps, tenant.id, user.id),
        change: { modules: [], permissions: changing },
        ownAccess,
      });
    }
    const next = grant ? [...held, ...changing] : held.filter((p) => !changing.includes(p));
    trackPermissionChanges(deps, tenant.id, caller, () => (changing.length ? [user.id] : []), () => writeGrants(deps, tenant.id, user.id, { permissions: next }, caller));
  })();
  const eff = await loadEffectivePermissions(deps, tenant.id, { type: 'user', id: user.id });
  return explanationOf(tenant, { type: 'user', id: user.id, email: user.email }, eff);
}

export function grantUserPermissions(deps: Deps, caller: Principal, tenantRef: string, userRef: string, permissions: readonly string[]): Promise<PermissionExplanation> {
  return changeDirectGrants(deps, caller, tenantRef, userRef, permissions, true);
}

export function revokeUserPermissions(deps: Deps, caller: Principal, tenantRef: string, userRef: string, permissions: readonly string[]): Promise<PermissionExplanation> {
  return changeDirectGrants(deps, caller, tenantRef, userRef, permissions, false);
}

export interface TenantMemberView {
  id: string;
  email: string;
  name: string;
  role: CompanyRole;
  groups: string[];
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  permissions: string[];
}

async function memberView(deps: Deps, tenant: TenantRow, userId: string): Promise<TenantMemberView> {
  const user = findUserById(deps, userId)!;
  const eff = await loadEffectivePermissions(deps, tenant.id, { type: 'user', id: userId });
  return {
    id: user.id,
    email: user.email,
    name: user.fullName,
    role: roleIn(deps, tenant.id, userId),
    groups: eff.groups,
    realmRoles: eff.realmRoles,
    clientRoles: eff.clientRoles,
    permissions: eff.permissions,
  };
}

/** The tenant's active members with their groups, roles and effective permissions. */
export async function listTenantMembers(deps: Deps, caller: Principal, tenantRef: string): Promise<TenantMemberView[]> {
  const tenant = tenantFor(deps, caller, tenantRef, 'users:read');
  const ids = memberIdsOfCompany(deps, tenant.id).filter((id) => activeMembershipsOf(deps, id).some((m) => m.companyId === tenant.id));
  const out: TenantMemberView[] = [];
  for (const id of ids) out.push(await memberView(deps, tenant, id));
  return out;
}

export async function getTenantMember(deps: Deps, caller: Principal, tenantRef: string, userRef: string): Promise<TenantMemberView> {
  const tenant = tenantFor(deps, caller, tenantRef, 'users:read');
  return memberView(deps, tenant, memberOf(deps, tenant, userRef).id);
}
