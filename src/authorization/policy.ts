/**
 * The one answer to "may this principal do this action to that target" (ARCHITECTURE rule 9).
 *
 *   authorize(deps, principal, 'user.update', { user, fields })   // throws AppError forbidden / not_found
 *   decide(deps, principal, action, target)                       // { allowed: true } | { allowed: false, error }
 *
 * Services call it, inside the transaction of their change when the facts can move; routes and CLI commands
 * never decide — they build the principal (src/authorization/principal.ts) and pass it down. The rules read
 * facts through `Standing` (memberships, delegation settings) only when a rule needs them, so a rule that
 * looks only at the principal (the hot paths: `user.context.read` for GET /auth/me and /auth/me/access) is a
 * plain function call without a query.
 *
 * The rules' data: the seed 002 §5.1 table (rights-table.ts), §15 delegation (delegation.ts), role ranks and
 * platform roles (roles.ts), API-key scopes (scopes.ts: an API key's standing is its scopes, in its tenant).
 *
 * How to add a rule — two places, side by side:
 *   1. add the action and the shape of its target to `Targets` in targets.ts (name it `<thing>.<verb>`);
 *   2. add its entry to `RULES`: a function of (standing, target) returning null (allowed) or the AppError to
 *      throw — forbidden (403), or not_found (404) when the caller may not even know the target exists;
 *   3. call `authorize(deps, principal, '<thing>.<verb>', target)` from the service, and add a row to the
 *      table-driven tests (test/authorization/policy.test.ts for the rule, test/http/… for the route).
 * TypeScript refuses a `Targets` entry without a rule and a call with the wrong target.
 */
import type { Deps } from '../app/deps.ts';
import { forbidden, notFound, type AppError } from '../app/errors.ts';
import type { EffectiveAccess } from '../access/effective-access.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { ProfileActor } from '../payments/actors.ts';
import { accessChangeRefusal, companyAuthority, PLATFORM_AUTHORITY, type Authority } from './delegation.ts';
import type { Principal } from './principal.ts';
import { COMPANY_RIGHTS, type AdminRights, type CompanyRight, type PatchableUserField } from './rights-table.ts';
import { companyRank, isPlatformAdmin, isPlatformStaff } from './roles.ts';
import { scopeRequiredFor, scopesAllow } from './scopes.ts';
import { Standing } from './standing.ts';
import type { Action, TargetUser, Targets } from './targets.ts';

export type { Action, TargetUser, Targets } from './targets.ts';

type Rule<A extends Action> = (s: Standing, target: Targets[A]) => AppError | null;

const ALLOWED = null;

/** The §5.1 company-route check: the platform row when there is one, else the caller's active role here. */
function companyRight(s: Standing, companyId: string, right: CompanyRight): AppError | null {
  const platform = s.platform;
  if (platform) return platform[right] ? ALLOWED : forbidden(`Your platform role may not do this (${right})`);
  const role = s.companyRole(companyId);
  if (role && COMPANY_RIGHTS[role][right]) return ALLOWED;
  return forbidden(
    right.startsWith('list') ? 'Listing users needs rank MANAGER or higher in this company' : 'Changing memberships needs rank ADMIN or higher in this company',
  );
}

/** §15: a company role grants, and changes, only roles at or below its own rank. */
function roleGrant(s: Standing, companyId: string, current: CompanyRole | null, next: CompanyRole): AppError | null {
  if (s.platform) return ALLOWED;
  const own = s.companyRole(companyId)!;
  if (companyRank(next) > companyRank(own)) return forbidden(`A ${own} may not grant ${next}`);
  if (current && companyRank(current) > companyRank(own)) return forbidden(`A ${own} may not change the membership of a ${current}`);
  return ALLOWED;
}

/**
 * Issue 9 §1: a company role reaches a user's account only when the user is the company's. Adding someone
 * who belongs or belonged elsewhere (or is platform staff) needs their consent — an invitation — unless the
 * caller is platform staff. A user with a row here already is the company's to edit at membership level.
 */
function consentNeeded(s: Standing, companyId: string, userId: string, user: TargetUser | null, hasRowHere: boolean): AppError | null {
  if (!user) return userNotFound(userId);
  if (s.platform || hasRowHere) return ALLOWED;
  // A membership elsewhere that was ended still marks the account as someone's: a former employee of another
  // company is not free to adopt (their password and email would pass to this company's admins).
  if (!isPlatformStaff(user.globalRole) && !s.belongsOutside(user.id, companyId)) return ALLOWED;
  return forbidden(
    'This user already has an account elsewhere on the platform: add them with an invitation (POST /auth/invitations), ' +
      'which they accept themselves; only platform staff add existing users directly',
  );
}

/** What a company role may do to a user's account (every PATCH field, DELETE), and whether it sees the user. */
interface AccountReach {
  visible: boolean;
  /** Rights that hold in every company the user is active in (none when one is out of reach). */
  rights: AdminRights[];
}

/**
 * A company role sees users it shares a company with (404 for the others, as for an unknown id). It reaches their account only when every
 * active membership of the user lies in a company where the caller holds a role at least as high as the
 * user's there, and the user is not platform staff; the rights that apply are those all those roles grant.
 */
function accountReach(s: Standing, user: TargetUser): AccountReach {
  const own = s.principal.type === 'user' ? s.activeMemberships(s.principal.id) : [];
  // Seeing needs a shared company (even a disabled one: its admins know their members); rights need an enabled one.
  const roleIn = new Map(own.filter((m) => m.companyActive).map((m) => [m.companyId, m.role]));
  const theirs = s.activeMemberships(user.id);
  const visible = s.isUser(user.id) || theirs.some((m) => own.some((o) => o.companyId === m.companyId));
  if (!visible || isPlatformStaff(user.globalRole) || theirs.length === 0) return { visible, rights: [] };
  const rights: AdminRights[] = [];
  for (const m of theirs) {
    const role = m.companyActive ? roleIn.get(m.companyId) : undefined;
    if (!role || companyRank(role) < companyRank(m.role)) return { visible, rights: [] };
    rights.push(COMPANY_RIGHTS[role]);
  }
  return { visible, rights };
}

function userNotFound(userId: string): AppError {
  // Word for word what an unknown id gets: the caller learns nothing about users it may not see.
  return notFound(`User "${userId}"`);
}

function authorityOf(s: Standing, companyId: string, ownAccess: EffectiveAccess | null): Authority | null {
  if (s.platformAdmin) return PLATFORM_AUTHORITY;
  return companyAuthority(s.companyRole(companyId), s.delegation(companyId).limits, ownAccess);
}

/** Reading a company's members and its settings: platform staff, or rank MANAGER and up in the company. */
function managerOrStaff(s: Standing, companyId: string, message: string): AppError | null {
  if (s.platform) return ALLOWED;
  const role = s.companyRole(companyId);
  return role && companyRank(role) >= companyRank('MANAGER') ? ALLOWED : forbidden(message);
}

/** FINANCE and TENANT_SUPERADMIN of the tenant handle its money. */
function financeRole(s: Standing, companyId: string): boolean {
  const role = s.companyRole(companyId);
  return role === 'FINANCE' || role === 'TENANT_SUPERADMIN';
}

/** Payments: the tenant's finance roles and platform admins (and the operator) do everything… */
const managesMoney = (s: Standing, companyId: string) => s.platformAdmin || financeRole(s, companyId);
/** …and platform staff (moderators included) read. */
const readsMoney = (s: Standing, companyId: string) => Boolean(s.platform) || financeRole(s, companyId);
const ownsProfile = (s: Standing, owner: ProfileActor) => owner.type === 'user' && s.isUser(owner.id);

/**
 * The tenant API: platform staff read (platform admins and the operator also write), and the tenant's
 * TENANT_SUPERADMIN and ADMIN do both. A scoped credential bound to a tenant (an API key: `scopes` already
 * checked in `decide`) acts only in its own tenant; any other answers 404, so tenants cannot be enumerated.
 */
function tenantApi(s: Standing, companyId: string, write: boolean): AppError | null {
  const p = s.principal;
  if (p.scopes && p.tenantId !== undefined) return p.tenantId === companyId ? ALLOWED : notFound('Tenant');
  // The platform row decides for platform staff (as in §5.1): moderators read, admins and the operator also write.
  if (s.platform) return !write || s.platformAdmin ? ALLOWED : forbidden('PLATFORM_MODERATOR reads the tenant API; changes need PLATFORM_ADMIN');
  const role = s.companyRole(companyId);
  if (role === 'TENANT_SUPERADMIN' || role === 'ADMIN') return ALLOWED;
  return forbidden(`The tenant API needs TENANT_SUPERADMIN or ADMIN in this tenant (or an API key with the ${write ? 'write' : 'read'} scope)`);
}

/** A user owns the agents it created for itself (group-owned agents are managed by tenant admins). */
const ownsAgent = (s: Standing, owner: { type: string; id: string }) => owner.type === 'user' && s.isUser(owner.id);

/** The tenant's TENANT_SUPERADMIN and ADMIN, and platform admins, administer its registry (orphans included). */
const administersTenant = (s: Standing, companyId: string) => {
  const role = s.companyRole(companyId);
  return s.platformAdmin || role === 'TENANT_SUPERADMIN' || role === 'ADMIN';
};
/** TENANT_SUPERADMIN and ADMIN of the tenant administer its tenant API (keys, webhooks). */
function tenantAdmin(s: Standing, companyId: string): boolean {
  const role = s.companyRole(companyId);
  return role === 'TENANT_SUPERADMIN' || role === 'ADMIN';
}
/** Platform staff read, platform admins change; the tenant's own TENANT_SUPERADMIN/ADMIN do both. */
const readsTenantApi = (s: Standing, companyId: string) => Boolean(s.platform) || tenantAdmin(s, companyId);
const runsTenantApi = (s: Standing, companyId: string) => s.platformAdmin || tenantAdmin(s, companyId);

const RULES: { [A in Action]: Rule<A> } = {
  'user.list': (s) => (s.platform?.listUsers ? ALLOWED : forbidden('Listing all users is for platform staff only')),
  'user.create': (s) => (s.platform?.createUser ? ALLOWED : forbidden('Only PLATFORM_ADMIN or PLATFORM_SUPERADMIN may create users')),

  'user.update': (s, { user, fields }) => {
    const p = s.principal;
    // A moderator's approval right does not reach the platform admins above them.
    if (p.type === 'user' && p.globalRole === 'PLATFORM_MODERATOR' && isPlatformAdmin(user.globalRole)) {
      return forbidden(`You may not change ${fields.join(', ')} of this user`);
    }
    let allowed: ReadonlySet<PatchableUserField>;
    if (s.platform) allowed = new Set(s.platform.patchFields);
    else {
      const reach = accountReach(s, user);
      if (!reach.visible) return userNotFound(user.id);
      allowed = new Set(fields.filter((f) => reach.rights.length > 0 && reach.rights.every((r) => r.patchFields.includes(f))));
    }
    const refused = fields.filter((f) => !allowed.has(f));
    if (refused.length === 0) return ALLOWED;
    return forbidden(
      s.platform
        ? `You may not change ${refused.join(', ')} of this user`
        : `You may not change ${refused.join(', ')} of this user: a company role reaches a user's account only when every company ` +
            "the user belongs to is one where you hold that right (and never platform staff); their membership in your company stays yours to edit",
    );
  },

  'user.delete': (s, { user }) => {
    if (s.platform) return s.platform.deleteUser ? ALLOWED : forbidden('You may not delete this user');
    const reach = accountReach(s, user);
    if (!reach.visible) return userNotFound(user.id);
    return reach.rights.length && reach.rights.every((r) => r.deleteUser) ? ALLOWED : forbidden('You may not delete this user');
  },

  'user.context.read': (s, { userId }) =>
    s.isUser(userId) || s.principal.type === 'machine' || s.platform ? ALLOWED : userNotFound(userId),

  'company.users.list': (s, { companyId }) => companyRight(s, companyId, 'listCompanyUsers'),
  'businessUnit.users.list': (s, { companyId }) => companyRight(s, companyId, 'listBusinessUnitUsers'),
  'membership.upsert': (s, { companyId, userId, user, current, next, hasRowHere }) =>
    companyRight(s, companyId, 'upsertCompanyMembership') ??
    consentNeeded(s, companyId, userId, user, hasRowHere) ??
    roleGrant(s, companyId, current, next),
  'membership.remove': (s, { companyId, current }) =>
    companyRight(s, companyId, 'upsertCompanyMembership') ?? (current ? roleGrant(s, companyId, current, current) : ALLOWED),
  'businessUnitMembership.upsert': (s, { companyId, userId, user, hasRowHere }) =>
    companyRight(s, companyId, 'upsertBusinessUnitMembership') ?? consentNeeded(s, companyId, userId, user, hasRowHere),
  'businessUnitMembership.remove': (s, { companyId }) => companyRight(s, companyId, 'upsertBusinessUnitMembership'),

  'entitlements.read': (s) => (s.platform ? ALLOWED : forbidden('Entitlements are for platform staff')),
  'entitlements.set': (s) => (s.platformAdmin ? ALLOWED : forbidden('Only PLATFORM_ADMIN or PLATFORM_SUPERADMIN may set entitlements')),
  'access.read': (s, { companyId, userId }) =>
    s.isUser(userId) ? ALLOWED : managerOrStaff(s, companyId, 'Reading access needs rank MANAGER or higher in this company'),
  'access.change': (s, { companyId, targetRole, change, ownAccess }) => accessChangeRefusal(authorityOf(s, companyId, ownAccess), targetRole, change),
  'access.delegate': (s, { companyId, permissions, targetRole }) =>
    accessChangeRefusal(authorityOf(s, companyId, null), targetRole ?? 'SUBMITTER', { modules: [], permissions: [...permissions] }),
  'delegation.read': (s, { companyId }) => managerOrStaff(s, companyId, 'Reading delegation limits needs rank MANAGER or higher in this company'),
  'delegation.set': (s, { companyId }) =>
    s.platformAdmin || s.companyRole(companyId) === 'TENANT_SUPERADMIN' ? ALLOWED : forbidden('Only TENANT_SUPERADMIN or platform admins may set delegation limits'),

  'invitation.create': (s, target) =>
    RULES['invitation.manage'](s, target) ??
    // The invited role and the initial grants must be within the inviter's delegation (§15).
    accessChangeRefusal(authorityOf(s, target.companyId, target.ownAccess), target.role, target.change),
  /**
   * §4.9 inviters: platform admins; TENANT_SUPERADMIN, FINANCE and ADMIN of the company; MANAGER when the
   * company allows it (delegation-limits `managersMayInvite`, default false); never SUBMITTER.
   */
  'invitation.manage': (s, { companyId }) => {
    if (s.platformAdmin) return ALLOWED;
    const role = s.companyRole(companyId);
    if (role === 'TENANT_SUPERADMIN' || role === 'FINANCE' || role === 'ADMIN') return ALLOWED;
    if (role === 'MANAGER' && s.delegation(companyId).managersMayInvite) return ALLOWED;
    return forbidden(role === 'MANAGER' ? 'Managers may not invite in this company' : 'Inviting needs a company admin role (or MANAGER where the company allows it)');
  },

  'paymentProfile.manage': (s, { companyId, owner }) =>
    ownsProfile(s, owner) || managesMoney(s, companyId) ? ALLOWED : forbidden('Only the owner, FINANCE or TENANT_SUPERADMIN may change this payment profile'),
  'paymentProfile.read': (s, { companyId, owner }) =>
    ownsProfile(s, owner) || readsMoney(s, companyId) ? ALLOWED : forbidden('This payment profile belongs to someone else'),
  'paymentProfile.listAll': (s, { companyId }) => (readsMoney(s, companyId) ? ALLOWED : forbidden('Listing every payment profile is for finance staff')),
  'payment.report': (s, { companyId }) =>
    managesMoney(s, companyId) ? ALLOWED : forbidden('Reporting payments and refunds needs FINANCE or TENANT_SUPERADMIN (or an API key with payments:write)'),
  'payment.read': (s, { companyId }) => (readsMoney(s, companyId) ? ALLOWED : forbidden('Payments are for FINANCE, TENANT_SUPERADMIN and platform staff')),
  'ossReport.read': (s, { companyId }) =>
    readsMoney(s, companyId) ? ALLOWED : forbidden('OSS reports are for FINANCE, TENANT_SUPERADMIN and platform staff (or an API key with reports:read)'),

  'users:read': (s, { companyId }) => tenantApi(s, companyId, false),
  'users:write': (s, { companyId }) => tenantApi(s, companyId, true),
  'roles:read': (s, { companyId }) => tenantApi(s, companyId, false),
  'roles:write': (s, { companyId }) => tenantApi(s, companyId, true),
  'groups:read': (s, { companyId }) => tenantApi(s, companyId, false),
  'groups:write': (s, { companyId }) => tenantApi(s, companyId, true),
  'grants:read': (s, { companyId }) => tenantApi(s, companyId, false),
  'grants:write': (s, { companyId }) => tenantApi(s, companyId, true),

  'ownership.read': (s, { companyId }) =>
    s.platform || s.companyRole(companyId) ? ALLOWED : forbidden('The ownership registry is for members of this tenant (or an API key with ownership:read)'),
  'ownership.register': (s, { companyId }) =>
    administersTenant(s, companyId) ? ALLOWED : forbidden('Registering owners needs TENANT_SUPERADMIN or ADMIN (or an API key with ownership:write)'),
  'ownership.change': (s, { companyId, owner }) =>
    ownsProfile(s, owner) || administersTenant(s, companyId) ? ALLOWED : forbidden('Only the current owner or a tenant admin may transfer or remove this resource'),
  'decision.check': (s) =>
    s.platform ? ALLOWED : forbidden('The authorization check is for resource servers: an API key with authorize:read, a confidential client of the tenant, or platform staff'),
  'agent.manage': (s, { companyId, owner }) =>
    ownsAgent(s, owner) || administersTenant(s, companyId) ? ALLOWED : forbidden('Only the owner or a tenant admin may manage this agent'),
  'agent.read': (s, { companyId, owner }) =>
    ownsAgent(s, owner) || administersTenant(s, companyId) || s.platform ? ALLOWED : notFound('This agent'),
  'agent.listAll': (s, { companyId }) => (administersTenant(s, companyId) || s.platform ? ALLOWED : forbidden('Listing every agent is for tenant admins')),
  'ownerPolicy.set': (s, { companyId }) =>
    administersTenant(s, companyId) ? ALLOWED : forbidden("Setting the tenant's owner policy needs TENANT_SUPERADMIN or ADMIN"),
  'apiKey.read': (s, { companyId }) => (readsTenantApi(s, companyId) ? ALLOWED : forbidden('API keys are for TENANT_SUPERADMIN, ADMIN and platform staff')),
  'apiKey.manage': (s, { companyId }) =>
    runsTenantApi(s, companyId) ? ALLOWED : forbidden('Managing API keys needs TENANT_SUPERADMIN or ADMIN in this tenant (or a platform admin)'),
  'webhooks:read': (s, { companyId }) => (readsTenantApi(s, companyId) ? ALLOWED : forbidden('Webhooks are for TENANT_SUPERADMIN, ADMIN and platform staff (or an API key with webhooks:read)')),
  'webhooks:write': (s, { companyId }) =>
    runsTenantApi(s, companyId) ? ALLOWED : forbidden('Managing webhooks needs TENANT_SUPERADMIN or ADMIN in this tenant (or an API key with webhooks:write)'),

  'clients:read': (s, { companyId }) => tenantApi(s, companyId, false),
  'clients:write': (s, { companyId }) => tenantApi(s, companyId, true),
  'tenant.oidc.configure': (s, { companyId }) =>
    s.platformAdmin || s.companyRole(companyId) === 'TENANT_SUPERADMIN' ? ALLOWED : forbidden('Only TENANT_SUPERADMIN or platform admins may configure sign-in'),
  'mfa.self': (s, { userId }) => (s.isUser(userId) ? ALLOWED : forbidden("Only the user themself manages their authenticator")),
  'mfa.read': (s, { user }) => (s.isUser(user.id) || s.platform ? ALLOWED : userNotFound(user.id)),
  'mfa.reset': (s, { user }) => {
    if (!s.platformAdmin) return forbidden('Resetting MFA is for platform admins and the operator');
    const p = s.principal;
    // A PLATFORM_ADMIN does not strip the second factor of the superadmin above them.
    if (p.type === 'user' && p.globalRole !== 'PLATFORM_SUPERADMIN' && user.globalRole === 'PLATFORM_SUPERADMIN') {
      return forbidden('Only a PLATFORM_SUPERADMIN may reset the MFA of a PLATFORM_SUPERADMIN');
    }
    return ALLOWED;
  },
  'tenant.mfaPolicy.set': (s) => (s.platformAdmin ? ALLOWED : forbidden('Only platform admins and the operator may change whether a tenant requires MFA')),
};

/** The tenant a target lies in (tenant-API targets name it `companyId` or `tenantId`), or null. */
function tenantOfTarget(target: unknown): string | null {
  const t = target as { companyId?: unknown; tenantId?: unknown } | null;
  const id = t?.companyId ?? t?.tenantId;
  return typeof id === 'string' ? id : null;
}

/**
 * An API key's whole standing: exactly the actions its scopes cover (write implies read), in its own tenant. A
 * target in another tenant is 404, word for word what an unknown tenant gets, so keys cannot enumerate tenants.
 */
function apiKeyRefusal(s: Standing, action: Action, target: unknown): AppError | null {
  const key = s.apiKey!;
  if (!scopesAllow(key.scopes, action)) {
    const needed = scopeRequiredFor(action);
    return forbidden(needed ? `This API key lacks the scope ${needed}` : `API keys may not ${action}`);
  }
  return tenantOfTarget(target) === key.tenantId ? ALLOWED : notFound('Tenant');
}

export type Decision = { allowed: true } | { allowed: false; error: AppError };

export function decide<A extends Action>(deps: Deps, principal: Principal, action: A, target: Targets[A]): Decision {
  const standing = new Standing(deps, principal);
  if (standing.apiKey) {
    const refusal = apiKeyRefusal(standing, action, target);
    return refusal ? { allowed: false, error: refusal } : { allowed: true };
  }
  if (principal.scopes && !principal.scopes.includes(action) && !scopesAllow(principal.scopes, action)) {
    return { allowed: false, error: forbidden(`This credential is not allowed to ${action}`) };
  }
  const error = RULES[action](standing, target);
  return error ? { allowed: false, error } : { allowed: true };
}

/** Throws the refusal (403 forbidden, or 404 for a target the principal may not know of). */
export function authorize<A extends Action>(deps: Deps, principal: Principal, action: A, target: Targets[A]): void {
  const decision = decide(deps, principal, action, target);
  if (!decision.allowed) throw decision.error;
}

/**
 * Whether the principal's delegation depends on what it holds itself (a company MANAGER hands out only its
 * own access, §15): services then load that access before their transaction and pass it as `ownAccess`.
 */
export function needsOwnAccess(principal: Principal): principal is Extract<Principal, { type: 'user' }> {
  return principal.type === 'user' && !isPlatformAdmin(principal.globalRole);
}
