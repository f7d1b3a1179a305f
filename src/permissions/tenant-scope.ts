import type { Deps } from '../app/deps.ts';
import { isAppError, notFound, validationError } from '../app/errors.ts';
import { assertPlainText } from '../app/control-characters.ts';
import { authorize, type Action } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getUser } from '../identity/users.ts';
import type { UserRow } from '../identity/tables.ts';
import { activeMembershipsOf } from '../memberships/active-memberships.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { TenantRow } from '../tenants/tables.ts';

type TenantAction = Extract<Action, `${string}:${'read' | 'write'}`>;

/**
 * The tenant a call names (slug or id), once the policy allows `action` there. A refusal that hides the tenant
 * (a credential of another tenant) reads exactly like an unknown tenant.
 */
export function tenantFor(deps: Deps, caller: Principal, ref: string, action: TenantAction): TenantRow {
  const tenant = getTenant(deps, ref);
  try {
    authorize(deps, caller, action, { companyId: tenant.id });
  } catch (err) {
    if (isAppError(err) && err.code === 'not_found') throw notFound(`Tenant "${ref}"`);
    throw err;
  }
  return tenant;
}

/**
 * §15 for the tenant API: whoever puts permissions where they reach members must control them (an ADMIN stays
 * inside the ADMIN delegation limit, and reaches only members ranked at or below it). A scoped credential is
 * bounded by its scopes instead.
 */
export function assertDelegates(deps: Deps, caller: Principal, tenant: TenantRow, permissions: readonly string[], targetUserId: string | null = null): void {
  if (caller.scopes || permissions.length === 0 && targetUserId === null) return;
  const targetRole = targetUserId ? (activeMembershipsOf(deps, targetUserId).find((m) => m.companyId === tenant.id)?.role ?? null) : null;
  authorize(deps, caller, 'access.delegate', { companyId: tenant.id, permissions, targetRole });
}

/** A user by id or email who holds an active membership in the tenant (404 otherwise, as for an unknown user). */
export function memberOf(deps: Deps, tenant: TenantRow, ref: string): UserRow {
  const user = getUser(deps, ref);
  if (!activeMembershipsOf(deps, user.id).some((m) => m.companyId === tenant.id)) {
    throw notFound(`Member "${ref}" of tenant "${tenant.slug}"`);
  }
  return user;
}

/** Role names travel in tokens: letters, digits and `._:-`, no spaces. */
const ROLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;
const CLIENT_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

export function roleName(raw: string): string {
  const name = raw.trim();
  if (!ROLE_NAME.test(name)) throw validationError(`Invalid role name "${raw}": use letters, digits, '.', ':', '_' or '-' (up to 100)`);
  return name;
}

export function clientIdOf(raw: string): string {
  const id = raw.trim();
  if (!CLIENT_ID.test(id)) throw validationError(`Invalid client id "${raw}"`);
  return id;
}

export function groupName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 100) throw validationError('A group name has 1–100 characters');
  if (name.includes('→')) throw validationError('A group name may not contain "→"');
  assertPlainText('name', name);
  return name;
}

export function descriptionOf(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  const text = raw.trim();
  if (text.length > 500) throw validationError('A description has at most 500 characters');
  assertPlainText('description', text);
  return text || null;
}
