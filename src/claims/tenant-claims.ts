import type { Deps } from '../app/deps.ts';
import { defaultPaymentProfileId } from '../payments/profiles.ts';
import { effectivePermissionsOf } from '../permissions/effective-permissions.ts';

/**
 * The one builder of the claims a tenant-scoped token carries (seed 000's token shape plus Kotauth's
 * `realm_access` / `resource_access`). The OIDC token endpoint, agent tokens and act-as-group sessions all call
 * it; seed 002's platform tokens never do (they keep exactly the §8 claims).
 *
 * Contract (shared by the OIDC, access-protocol and agents work):
 *   buildTenantClaims(deps, { tenant: {id, slug}, subject: {type, id}, clientId?, scopes }) → TenantClaims
 * `groups`, `can`, `realm_access` and `resource_access` come from the subject's effective permissions
 * (src/permissions/effective-permissions.ts, cached under access_version, so the next token after any change
 * carries the new set). Users and groups have them; agents and clients get empty ones here.
 */
export type TenantActorType = 'user' | 'group' | 'agent' | 'client';

export interface TenantClaimsInput {
  tenant: { id: string; slug: string };
  subject: { type: TenantActorType; id: string };
  /** The OAuth client the token is for; picks the `resource_access` entry of its client roles. */
  clientId?: string;
  /** Granted scopes; `email` and `profile` decide whether those claims are included. */
  scopes: readonly string[];
  /** The subject's profile, when it is a user and the caller already holds it (saves a read). */
  profile?: { email: string; emailVerified: boolean; name: string };
}

export interface TenantClaims {
  tenant: string;
  actor_type: TenantActorType;
  groups: string[];
  can: string[];
  payment_profile: string | null;
  realm_access: { roles: string[] };
  resource_access: Record<string, { roles: string[] }>;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export function buildTenantClaims(deps: Deps, input: TenantClaimsInput): TenantClaims {
  const claims: TenantClaims = {
    tenant: input.tenant.slug,
    actor_type: input.subject.type,
    groups: [],
    can: [],
    payment_profile:
      input.subject.type === 'client' ? null : defaultPaymentProfileId(deps, input.tenant.id, input.subject),
    realm_access: { roles: [] },
    resource_access: {},
  };
  if (input.subject.type === 'user' || input.subject.type === 'group') {
    const effective = effectivePermissionsOf(deps, input.tenant.id, { type: input.subject.type, id: input.subject.id });
    claims.groups = effective.groups;
    claims.can = effective.permissions;
    claims.realm_access = { roles: effective.realmRoles };
    const clientRoles = input.clientId ? effective.clientRoles[input.clientId] : undefined;
    if (input.clientId && clientRoles) claims.resource_access = { [input.clientId]: { roles: clientRoles } };
  }
  if (input.profile) {
    if (input.scopes.includes('email')) {
      claims.email = input.profile.email;
      claims.email_verified = input.profile.emailVerified;
    }
    if (input.scopes.includes('profile')) claims.name = input.profile.name;
  }
  return claims;
}
