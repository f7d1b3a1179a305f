import type { Deps } from '../app/deps.ts';
import { getDelegationPolicy, type DelegationPolicy } from '../access/delegation-limits.ts';
import { activeMembershipsOf, hasMembershipOutside, type ActiveMembership } from '../memberships/active-memberships.ts';
import type { CompanyRole } from '../memberships/tables.ts';
import type { ApiKeyPrincipal, ClientPrincipal, Principal } from './principal.ts';
import { FULL_RIGHTS, PLATFORM_RIGHTS, type AdminRights } from './rights-table.ts';
import { isPlatformAdmin } from './roles.ts';

/**
 * The facts one decision weighs, read on demand and at most once per decision: a principal's platform row,
 * its role in a company, a target user's active memberships, a company's delegation settings. Reads go
 * through the contexts that own the data (memberships, access); the policy itself holds no SQL.
 */
export class Standing {
  private memberships = new Map<string, ActiveMembership[]>();
  private policies = new Map<string, DelegationPolicy>();

  constructor(
    private readonly deps: Deps,
    readonly principal: Principal,
  ) {}

  /** The §5.1 platform row that applies to the principal, or null (company roles, machines, anonymous). */
  get platform(): AdminRights | null {
    const p = this.principal;
    // The operator at the machine and our own jobs run with the platform's full rights.
    if (p.type === 'operator' || p.type === 'system') return FULL_RIGHTS;
    if (p.type === 'user' && p.globalRole !== 'NONE') return PLATFORM_RIGHTS[p.globalRole];
    return null;
  }

  /** Platform admins, the operator and jobs control everything (§15). */
  get platformAdmin(): boolean {
    const p = this.principal;
    return p.type === 'operator' || p.type === 'system' || (p.type === 'user' && isPlatformAdmin(p.globalRole));
  }

  /** The API key asking (its tenant and scopes are its whole standing, see policy.ts), or null. */
  get apiKey(): ApiKeyPrincipal | ClientPrincipal | null {
    // A client's own token is scoped and tenant-bound like a key: the same rule decides for both.
    return this.principal.type === 'api-key' || this.principal.type === 'client' ? this.principal : null;
  }

  /** Whether the principal is this user (a signed-in person reading or acting on their own account). */
  isUser(userId: string): boolean {
    return this.principal.type === 'user' && this.principal.id === userId;
  }

  /** Whether a user has or had a membership in a company other than `companyId` (inactive rows included). */
  belongsOutside(userId: string, companyId: string): boolean {
    return hasMembershipOutside(this.deps, userId, companyId);
  }

  /** Active memberships of any user (the principal's own, or a target's). */
  activeMemberships(userId: string): ActiveMembership[] {
    let found = this.memberships.get(userId);
    if (!found) {
      found = activeMembershipsOf(this.deps, userId);
      this.memberships.set(userId, found);
    }
    return found;
  }

  /** The principal's role in an enabled company, or null (also for every non-user principal). */
  companyRole(companyId: string): CompanyRole | null {
    if (this.principal.type !== 'user') return null;
    return this.activeMemberships(this.principal.id).find((m) => m.companyId === companyId && m.companyActive)?.role ?? null;
  }

  delegation(companyId: string): DelegationPolicy {
    let found = this.policies.get(companyId);
    if (!found) {
      found = getDelegationPolicy(this.deps, companyId);
      this.policies.set(companyId, found);
    }
    return found;
  }
}
